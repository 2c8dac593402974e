// Live status pollers: back off when a poll fails, say so, and recover by themselves.
// htmx keeps a poller's timer running after errors; this replaces a failing poller with one that
// waits longer (2, 4, 8 ... 60 s) and shows a notice, so live updates never freeze silently.
// Also: elapsed times ("running for 40 s") count on by themselves.
(function () {
  "use strict";
  // The notice is a polite live region: it is written once when polls start failing and once when
  // they recover, never on every retry (a screen reader would repeat it at every poll).
  function notice(text) {
    var box = document.getElementById("live-notice");
    if (!box || box.textContent === (text || "")) return;
    box.textContent = text || "";
    box.hidden = !text;
  }

  // Elapsed times ("running for 40 s", <span data-elapsed="40">): counted on from the seconds the
  // server rendered, in the words of backups.selectors.duration_words, while the element is shown.
  function durationWords(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 90) return seconds + " s";
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + " min";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-elapsed]").forEach(function (element) {
      if (!element.dataset.shownAt) element.dataset.shownAt = String(now);
      var seconds = Number(element.dataset.elapsed) + (now - Number(element.dataset.shownAt)) / 1000;
      var text = durationWords(seconds);
      if (element.textContent !== text) element.textContent = text;
    });
  }
  window.setInterval(tick, 1000);

  function isPoller(element) {
    return element && element.classList && element.classList.contains("status-poller");
  }
  // A poll that answers again clears the notice. Checked before the answer is swapped in: the answer
  // replaces the poller out of band, and events of a detached element never reach the document.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var poller = event.detail.elt;
    if (isPoller(poller) && poller.dataset.failures && event.detail.xhr.status < 400) notice("");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var poller = event.detail.elt;
    if (!isPoller(poller) || event.detail.successful) return;
    var failures = Number(poller.dataset.failures || 0) + 1;
    var base = Number(poller.dataset.interval || 2);
    var wait = Math.min(base * Math.pow(2, failures), 60);
    var replacement = poller.cloneNode(false);
    replacement.dataset.failures = String(failures);
    replacement.setAttribute("hx-trigger", "every " + wait + "s");
    poller.replaceWith(replacement);
    if (window.htmx) window.htmx.process(replacement);
    notice("Live status updates are interrupted; the page keeps retrying by itself.");
  });
})();
