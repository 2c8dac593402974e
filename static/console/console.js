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

    // Selects that submit their form on change (the region switcher); their button is then redundant.
    root.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      if (select.dataset.enhanced) { return; }
      select.dataset.enhanced = "1";
      var form = select.form;
      var button = form && form.querySelector("[data-autosubmit-button]");
      if (button) { button.hidden = true; }
      select.addEventListener("change", function () { form.requestSubmit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  // Fragments swapped in by htmx get the same treatment.
  document.addEventListener("htmx:load", function (event) { enhance(event.target); });
})();
