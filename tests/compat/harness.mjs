// What every script of the compatibility suite shares: its arguments, and the checks with their output format
// ("PASS <client> / <check>" or "FAIL <client> / <check>: <why>", then "N passed, N failed"; exit code 1 on a failure).

/** --url (the running console), --key (an API key with the inference scope), --only (a regex of checks to run). */
export function options() {
  const args = Object.fromEntries(
    process.argv.slice(2).reduce((pairs, value, i, all) => (value.startsWith("--") ? [...pairs, [value.slice(2), all[i + 1]]] : pairs), []),
  );
  return {
    root: (args.url ?? "http://127.0.0.1:5080").replace(/\/+$/, ""),
    key: args.key ?? "cc-dev-0123456789abcdef",
    only: args.only ? new RegExp(args.only, "i") : null,
  };
}

const results = [];

/** Runs one check, with a minute to answer, and prints its line. */
export async function check(client, name, body, only = null) {
  const label = `${client} / ${name}`;
  if (only && !only.test(label)) {
    return;
  }

  let timer;
  try {
    await Promise.race([
      body(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("no answer within 60 s")), 60_000);
      }),
    ]);
    results.push(true);
    console.log(`PASS ${label}`);
  } catch (error) {
    results.push(false);
    console.log(`FAIL ${label}: ${String(error?.stack ?? error).split("\n").slice(0, 3).join(" | ")}`);
  } finally {
    clearTimeout(timer);
  }
}

export function expect(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

/** The action must fail, and with the error the client library itself raises for it. */
export async function expectError(action, isExpected, what) {
  try {
    await action();
  } catch (error) {
    expect(isExpected(error), `expected ${what}, got ${error?.constructor?.name}: ${error?.message}`);
    return;
  }

  throw new Error(`expected ${what}, but the call succeeded`);
}

/** Prints the totals and sets the exit code: 1 when a check failed or none ran. */
export function finish() {
  const passed = results.filter(Boolean).length;
  const failed = results.length - passed;
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || results.length === 0 ? 1 : 0;
}
