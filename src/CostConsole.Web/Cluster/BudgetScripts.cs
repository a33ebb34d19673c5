namespace CostConsole.Web.Cluster;

/// <summary>
/// The Lua scripts that keep budgets in Redis. Each budget period is three keys: a hash of figures (<c>spent</c>,
/// <c>reserved</c>, <c>exposure</c>, <c>seq</c>, alerts fired), a hash of the reservations in flight (id → "expected
/// worst") and a sorted set of when each lapses. Every script first releases lapsed reservations — those of an instance
/// that died — so no instance has to be alive to give them back. Amounts are nano-dollars; Lua's doubles hold them
/// exactly up to about nine million dollars, and amounts go back to Redis as the strings they came in as.
/// </summary>
internal static class BudgetScripts
{
    private const string Functions = """
        local function sub(s, field, a)
          if a ~= '0' then redis.call('HINCRBY', s, field, '-' .. a) end
        end
        local function purge(s, r, e, now)
          local lapsed = redis.call('ZRANGEBYSCORE', e, '-inf', now)
          for _, id in ipairs(lapsed) do
            local held = redis.call('HGET', r, id)
            if held then
              local a, w = string.match(held, '^(%d+) (%d+)$')
              sub(s, 'reserved', a)
              sub(s, 'exposure', w)
              redis.call('HDEL', r, id)
            end
            redis.call('ZREM', e, id)
          end
        end
        local function num(s, field)
          return tonumber(redis.call('HGET', s, field) or '0')
        end
        local function figures(s, r)
          return { num(s, 'spent'), num(s, 'reserved'), redis.call('HLEN', r) }
        end
        """;

    /// <summary>
    /// KEYS: 3 per budget. ARGV: id, now (ms), expires (ms), ttl (s), then per budget: expected, worst, allowance, limit.
    /// Reserves on every budget or on none. Returns {0, figures…} when reserved; {-1, i} when budget i has no counter
    /// yet (start it from the ledger); {1 money | 2 overrun bound, i, spent, reserved by others, others in flight, first limit-reached}.
    /// </summary>
    public const string Reserve = Functions + "\n" + """
        local n = #KEYS / 3
        local id = ARGV[1]
        for i = 1, n do
          if redis.call('HEXISTS', KEYS[3*i-2], 'spent') == 0 then return { -1, i } end
        end
        local held = {}
        for i = 1, n do
          local s, r, e = KEYS[3*i-2], KEYS[3*i-1], KEYS[3*i]
          purge(s, r, e, ARGV[2])
          local o = 4 + 4 * (i - 1)
          local amount, worst, allowance, limit = tonumber(ARGV[o+1]), tonumber(ARGV[o+2]), tonumber(ARGV[o+3]), tonumber(ARGV[o+4])
          local spent, reserved, exposure = num(s, 'spent'), num(s, 'reserved'), num(s, 'exposure')
          local ha, hw, hs = 0, 0, nil
          hs = redis.call('HGET', r, id)
          if hs then
            local a, w = string.match(hs, '^(%d+) (%d+)$')
            ha, hw = tonumber(a), tonumber(w)
          end
          held[i] = hs
          local others = redis.call('HLEN', r) - (hs and 1 or 0)
          if spent + reserved - ha + amount > limit then
            local first = 0
            if spent + amount > limit or reserved - ha <= 0 then
              first = redis.call('HSETNX', s, 'limitfired', '1')
            end
            return { 1, i, spent, reserved - ha, others, first }
          end
          if spent + exposure - hw + worst > limit + allowance then
            return { 2, i, spent, reserved - ha, others, 0 }
          end
        end
        local result = { 0 }
        for i = 1, n do
          local s, r, e = KEYS[3*i-2], KEYS[3*i-1], KEYS[3*i]
          local o = 4 + 4 * (i - 1)
          if held[i] then
            local a, w = string.match(held[i], '^(%d+) (%d+)$')
            sub(s, 'reserved', a)
            sub(s, 'exposure', w)
          end
          redis.call('HSET', r, id, ARGV[o+1] .. ' ' .. ARGV[o+2])
          redis.call('ZADD', e, ARGV[3], id)
          redis.call('HINCRBY', s, 'reserved', ARGV[o+1])
          redis.call('HINCRBY', s, 'exposure', ARGV[o+2])
          redis.call('HINCRBY', s, 'seq', 1)
          redis.call('EXPIRE', r, ARGV[4])
          redis.call('EXPIRE', e, ARGV[4])
          local f = figures(s, r)
          result[#result+1] = f[1]; result[#result+1] = f[2]; result[#result+1] = f[3]
        end
        return result
        """;

    /// <summary>KEYS: 3 per budget. ARGV: id, now (ms), expires (ms), amount. Sets the reservation to what the request has spent, without a check.</summary>
    public const string Hold = Functions + "\n" + """
        local n = #KEYS / 3
        for i = 1, n do
          local s, r, e = KEYS[3*i-2], KEYS[3*i-1], KEYS[3*i]
          purge(s, r, e, ARGV[2])
          local hs = redis.call('HGET', r, ARGV[1])
          if hs then
            local a, w = string.match(hs, '^(%d+) (%d+)$')
            sub(s, 'reserved', a)
            sub(s, 'exposure', w)
          end
          redis.call('HSET', r, ARGV[1], ARGV[4] .. ' ' .. ARGV[4])
          redis.call('ZADD', e, ARGV[3], ARGV[1])
          redis.call('HINCRBY', s, 'reserved', ARGV[4])
          redis.call('HINCRBY', s, 'exposure', ARGV[4])
        end
        return 1
        """;

    /// <summary>KEYS: state, reservations, expiries. ARGV: now (ms). Releases lapsed reservations (an instance that died); returns how many are left in flight.</summary>
    public const string Purge = Functions + "\n" + """
        purge(KEYS[1], KEYS[2], KEYS[3], ARGV[1])
        return redis.call('HLEN', KEYS[2])
        """;

    /// <summary>KEYS: 3 per budget. ARGV: id. Gives back what the reservation holds, on every budget that has it (a batch finished or cancelled).</summary>
    public const string Release = Functions + "\n" + """
        local n = #KEYS / 3
        for i = 1, n do
          local s, r, e = KEYS[3*i-2], KEYS[3*i-1], KEYS[3*i]
          local hs = redis.call('HGET', r, ARGV[1])
          if hs then
            local a, w = string.match(hs, '^(%d+) (%d+)$')
            sub(s, 'reserved', a)
            sub(s, 'exposure', w)
            redis.call('HDEL', r, ARGV[1])
          end
          redis.call('ZREM', e, ARGV[1])
        end
        return 1
        """;

    /// <summary>
    /// KEYS: 3 per budget. ARGV: id, actual, now (ms), then per budget: limit, thresholds ("50,80,100").
    /// Replaces the reservation with the actual cost. Returns per budget: spent, reserved, in flight, and the thresholds
    /// crossed for the first time in the cluster this period ("80,100" or ""). A budget whose counter is gone (Redis
    /// lost its data) is left for the reconciliation to start from the ledger, which already holds this request.
    /// </summary>
    public const string Settle = Functions + "\n" + """
        local n = #KEYS / 3
        local result = {}
        for i = 1, n do
          local s, r, e = KEYS[3*i-2], KEYS[3*i-1], KEYS[3*i]
          local crossed = ''
          if redis.call('HEXISTS', s, 'spent') == 1 then
            purge(s, r, e, ARGV[3])
            local hs = redis.call('HGET', r, ARGV[1])
            if hs then
              local a, w = string.match(hs, '^(%d+) (%d+)$')
              sub(s, 'reserved', a)
              sub(s, 'exposure', w)
              redis.call('HDEL', r, ARGV[1])
              redis.call('ZREM', e, ARGV[1])
            end
            redis.call('HINCRBY', s, 'spent', ARGV[2])
            redis.call('HINCRBY', s, 'seq', 1)
            local o = 3 + 2 * (i - 1)
            local limit = tonumber(ARGV[o+1])
            local spent = num(s, 'spent')
            for t in string.gmatch(ARGV[o+2], '%d+') do
              if spent * 100 >= limit * tonumber(t) and redis.call('HSETNX', s, 'fired:' .. t, '1') == 1 then
                if tonumber(t) >= 100 then redis.call('HSET', s, 'limitfired', '1') end
                crossed = crossed == '' and t or (crossed .. ',' .. t)
              end
            end
          end
          local f = figures(s, r)
          result[#result+1] = f[1]; result[#result+1] = f[2]; result[#result+1] = f[3]; result[#result+1] = crossed
        end
        return result
        """;

    /// <summary>
    /// KEYS: state, reservations, expiries. ARGV: spent from the ledger, ttl (s), thresholds already alerted ("50,80").
    /// Starts a budget's counter for its period, unless another instance already has. Returns 1 when this call started it.
    /// </summary>
    public const string Start = """
        if redis.call('HSETNX', KEYS[1], 'spent', ARGV[1]) == 0 then return 0 end
        redis.call('HSET', KEYS[1], 'reserved', '0', 'exposure', '0', 'seq', '0')
        redis.call('DEL', KEYS[2], KEYS[3])
        for t in string.gmatch(ARGV[3], '%d+') do
          redis.call('HSET', KEYS[1], 'fired:' .. t, '1')
          if tonumber(t) >= 100 then redis.call('HSET', KEYS[1], 'limitfired', '1') end
        end
        redis.call('EXPIRE', KEYS[1], ARGV[2])
        return 1
        """;

    /// <summary>
    /// KEYS: state, reservations, expiries. ARGV: the <c>seq</c> seen before the ledger was read, the ledger's spend, now (ms).
    /// Sets spent to the ledger's figure only when nothing is in flight and nothing reserved or settled since the ledger
    /// was read: then the ledger holds exactly what the counter should. Returns {1, spent before} when corrected, {0} when not now.
    /// </summary>
    public const string Reconcile = Functions + "\n" + """
        if redis.call('HEXISTS', KEYS[1], 'spent') == 0 then return { 0 } end
        purge(KEYS[1], KEYS[2], KEYS[3], ARGV[3])
        if redis.call('HLEN', KEYS[2]) > 0 or (redis.call('HGET', KEYS[1], 'seq') or '0') ~= ARGV[1] then return { 0 } end
        local before = num(KEYS[1], 'spent')
        redis.call('HSET', KEYS[1], 'spent', ARGV[2])
        return { 1, before }
        """;
}
