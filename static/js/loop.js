// Notifications page: mark one or all read without reloading, and keep the bell's count
// in the header right. Without JavaScript the same forms post and reload the page.
(function () {
  "use strict";

  function unreadTotal() {
    const total = document.querySelector("[data-unread-total]");
    return total ? parseInt(total.textContent, 10) || 0 : 0;
  }

  function setUnread(count) {
    count = Math.max(0, count);
    const total = document.querySelector("[data-unread-total]");
    if (total) total.textContent = String(count);
    const badge = document.querySelector("[data-unread-count]");
    if (badge) {
      if (count > 0) badge.textContent = String(count);
      else badge.remove();
    }
    const bell = document.querySelector("a.bell");
    if (bell) bell.setAttribute("aria-label", "Notifications, " + count + " unread");
    if (count === 0) {
      const readAll = document.querySelector("[data-read-all]");
      if (readAll) readAll.remove();
    }
  }

  function say(text) {
    const status = document.querySelector("[data-loop-status]");
    if (status) status.textContent = text;
  }

  function showRead(item) {
    if (!item || !item.classList.contains("unread")) return false;
    item.classList.remove("unread");
    const badge = item.querySelector("[data-new-badge]");
    if (badge) badge.remove();
    const form = item.querySelector("[data-mark-read]");
    if (form) form.remove();
    return true;
  }

  document.addEventListener("submit", async function (event) {
    const form = event.target;
    if (form.matches("[data-mark-read]")) {
      event.preventDefault();
      const item = form.closest("[data-notification]");
      const button = form.querySelector("button");
      if (button) button.disabled = true;
      const result = await window.Voice.api(form.dataset.api, { method: "POST" });
      if (result.ok) {
        if (showRead(item)) setUnread(unreadTotal() - 1);
        say("Marked read.");
        const next = item && item.nextElementSibling && item.nextElementSibling.querySelector("button");
        if (next) next.focus();
      } else {
        if (button) button.disabled = false;
        say((result.data && result.data.error && result.data.error.message) || "That did not work.");
      }
    } else if (form.matches("[data-read-all]")) {
      event.preventDefault();
      const result = await window.Voice.api(form.dataset.api, { method: "POST" });
      if (result.ok) {
        document.querySelectorAll("[data-notification]").forEach(showRead);
        setUnread(0);
        say("All notifications marked read.");
      } else {
        say((result.data && result.data.error && result.data.error.message) || "That did not work.");
      }
    }
  });
})();
