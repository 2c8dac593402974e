// Live status pollers: back off when a poll fails, say so, and recover by themselves.
// htmx keeps a poller's timer running after errors; this replaces a failing poller with one that
// waits longer (2, 4, 8 ... 60 s) and shows a notice, so live updates never freeze silently.
(function () {
  "use strict";
  function notice(text) {
    var box = document.getElementById("live-notice");
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }
  document.addEventListener("htmx:afterRequest", function (event) {
    var poller = event.detail.elt;
    if (!poller || !poller.classList || !poller.classList.contains("status-poller")) return;
    if (event.detail.successful) {
      if (poller.dataset.failures) notice("");
      return;
    }
    var failures = Number(poller.dataset.failures || 0) + 1;
    var base = Number(poller.dataset.interval || 2);
    var wait = Math.min(base * Math.pow(2, failures), 60);
    var replacement = poller.cloneNode(false);
    replacement.dataset.failures = String(failures);
    replacement.setAttribute("hx-trigger", "every " + wait + "s");
    poller.replaceWith(replacement);
    if (window.htmx) window.htmx.process(replacement);
    notice("Live status updates are interrupted; retrying in " + wait + " s.");
  });
})();
