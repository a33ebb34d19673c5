// Dialogs and the keyboard: while a dialog is open Tab and Shift+Tab go round its own controls, never to the page
// behind it, and when it closes focus goes back to the control that opened it (WCAG 2.4.3, ARIA dialog pattern).
(() => {
  const focusable = 'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
  const openers = [];
  const recent = [];

  const topDialog = () => {
    const dialogs = document.querySelectorAll('.mud-dialog-container .mud-dialog');
    return dialogs.length ? dialogs[dialogs.length - 1] : null;
  };

  const controls = dialog => [...dialog.querySelectorAll(focusable)].filter(e =>
    e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden' && !e.closest('[inert]') && e.tabIndex >= 0
    && !(e.tagName === 'DIV' && e.childElementCount === 0 && !e.textContent.trim()));

  document.addEventListener('focusin', e => {
    if (!e.target.closest('.mud-popover')) {
      recent.unshift(e.target);
      recent.length = Math.min(recent.length, 4);
    }
  }, true);

  document.addEventListener('keydown', e => {
    if (e.key !== 'Tab') {
      return;
    }

    const dialog = topDialog();
    if (!dialog || document.activeElement?.closest('.mud-popover-open')) {
      return;
    }

    const items = controls(dialog);
    if (items.length === 0) {
      return;
    }

    const first = items[0];
    const last = items[items.length - 1];
    const active = document.activeElement;
    if (!dialog.contains(active)) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    } else if (e.shiftKey && active === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first.focus();
    }
  }, true);

  new MutationObserver(() => {
    const containers = document.querySelectorAll('.mud-dialog-container');
    const open = containers.length;
    while (openers.length < open) {
      // The control focused last outside the dialog that has just opened (it may already have focused its first field).
      const newest = containers[openers.length];
      openers.push(recent.find(e => e.isConnected && !newest.contains(e)) ?? null);
    }

    while (openers.length > open) {
      const opener = openers.pop();
      const active = document.activeElement;
      if (opener?.isConnected && (!active || active === document.body || !active.isConnected)) {
        opener.focus();
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
})();
