// Block Storage Console: small progressive enhancements. Every page works without this file.
// No inline scripts anywhere: the console is ready for a Content-Security-Policy without them.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="TEXT" hidden> next to a <code>. Without JavaScript the button
  // stays hidden and the id is plain selectable text.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = document.execCommand("copy");
      document.body.removeChild(area);
      if (ok) { resolve(); } else { reject(new Error("copy refused")); }
    });
  }

  function enhance(root) {
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      if (button.dataset.enhanced) { return; }
      button.dataset.enhanced = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var feedback = button.parentElement.querySelector(".copy-feedback");
        copyText(button.dataset.copy).then(
          function () { if (feedback) { feedback.textContent = "Copied"; } },
          function () { if (feedback) { feedback.textContent = "Select the id and copy it"; } }
        );
      });
    });
  }

  // Focus: where a keyboard or screen reader user has to be next.
  function focusOn(element) {
    if (!element) { return false; }
    if (element.tabIndex < 0 && !element.hasAttribute("tabindex")) { element.setAttribute("tabindex", "-1"); }
    element.focus();
    return document.activeElement === element;
  }

  function heading(root) {
    return root && root.querySelector("h1, h2, h3, caption, legend, .table-count");
  }

  // After a page load: a form sent with mistakes puts focus on its first field marked invalid (its
  // label, value and error are read out), or on the error it got from the cloud; an action that went
  // through puts focus on the message it left.
  function focusAfterLoad() {
    var main = document.getElementById("main");
    if (!main) { return; }
    if (focusOn(main.querySelector("form [aria-invalid=true]"))) { return; }
    var forms = main.querySelectorAll("form[method=post], form[method=POST]");
    for (var i = 0; i < forms.length; i++) {
      var card = forms[i].closest(".card, section") || forms[i];
      if (focusOn(card.querySelector("[role=alert]"))) { return; }
    }
    var messages = document.getElementById("messages");
    if (messages && messages.querySelector(".alert")) { focusOn(messages); }
  }

  // After an htmx swap that took away the focused element (a sort link, a page link, a removed row),
  // focus goes to the heading of what came in, or the page's heading: never lost on <body>.
  var focusWasIn = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    var active = document.activeElement;
    focusWasIn = target && active && active !== document.body && target.contains(active) ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var active = document.activeElement;
    if (focusWasIn === null || (active && active !== document.body && active.isConnected)) { return; }
    var swapped = document.getElementById(focusWasIn) || event.detail.target;
    focusWasIn = null;
    var invalid = swapped && swapped.querySelector("[aria-invalid=true]");
    focusOn(invalid || heading(swapped) || document.querySelector("main h1") || swapped);
  });

  // Escape closes an open disclosure (the support filters) and gives focus back to its summary.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !document.activeElement) { return; }
    var details = document.activeElement.closest("details[open]");
    if (!details) { return; }
    details.open = false;
    focusOn(details.querySelector("summary"));
  });

  document.addEventListener("DOMContentLoaded", function () { enhance(document); focusAfterLoad(); });
  // Fragments swapped in by htmx get the same treatment.
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
