// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";

  // Move focus to the error summary so keyboard and screen-reader users hear what went wrong.
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  }

  // Live character counts for fields with a maxlength, or a soft data-maxlength (a limit the
  // server enforces without the browser cutting pasted text).
  function attachCounters(root) {
    (root || document).querySelectorAll("textarea[maxlength], textarea[data-maxlength], input[data-count][maxlength], input[data-count][data-maxlength]").forEach(function (field) {
      if (field.dataset.counterAttached) { return; }
      field.dataset.counterAttached = "1";
      var counter = document.createElement("div");
      counter.className = "helptext char-count";
      counter.id = field.id + "_count";
      counter.setAttribute("aria-live", "polite");
      field.insertAdjacentElement("afterend", counter);
      var describedBy = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      describedBy.push(counter.id);
      field.setAttribute("aria-describedby", describedBy.join(" "));
      function update() {
        var max = parseInt(field.getAttribute("maxlength") || field.getAttribute("data-maxlength"), 10);
        var left = max - field.value.length;
        counter.textContent = left >= 0
          ? left + " of " + max + " characters left"
          : (-left) + " characters over the " + max + " limit";
        counter.classList.toggle("over", left < 0);
      }
      field.addEventListener("input", update);
      update();
    });
  }

  // An error-summary link to a group of radios or checkboxes focuses its first option (or the
  // chosen one): the link's target is the group's container, which cannot take focus itself.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) { return; }
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target || target.matches("input, select, textarea, button")) { return; }
    var options = target.querySelectorAll("input:not([type=hidden]), select, textarea");
    if (!options.length) { return; }
    var chosen = target.querySelector("input:checked") || options[0];
    event.preventDefault();
    (chosen.closest("fieldset") || target).scrollIntoView({ block: "start" });
    chosen.focus({ preventScroll: true });
  });

  // Background jobs (matching, report exports). The polled fragment states its progress in
  // data-announce; the page's own live region ([data-job-announcer], never swapped, so screen
  // readers keep listening to it) says it only when it really changes. When the job ends the
  // fragment marked data-job-result takes focus, so the result is where the person is.
  var announced = null;
  function followJob(isSwap) {
    var announcer = document.querySelector("[data-job-announcer]");
    var state = document.querySelector("[data-announce]");
    if (!announcer || !state) { return; }
    var text = state.getAttribute("data-announce");
    if (isSwap && text && text !== announced) { announcer.textContent = text; }
    announced = text;
    var result = document.querySelector("[data-job-result]:not([data-result-seen])");
    if (result) {
      result.setAttribute("data-result-seen", "");
      if (isSwap) { result.focus(); }
    }
  }

  // Confirm destructive actions named in data-confirm.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) { event.preventDefault(); }
  });

  // While a form is being sent its buttons are disabled, so a second click does not send it
  // again. (The server already turns a repeated submission into one row: this only spares the
  // round trip.) Disabled after the event, so the clicked button's name and value still go.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.getAttribute("method") || "").toLowerCase() !== "post") { return; }
    window.setTimeout(function () {
      form.querySelectorAll("button, input[type=submit]").forEach(function (button) {
        button.disabled = true;
        button.setAttribute("data-sending", "1");
      });
      form.setAttribute("aria-busy", "true");
    }, 0);
    // A response that does not replace the page (a file download) must not leave it stuck.
    window.setTimeout(function () { enableButtons(form); }, 10000);
  });
  function enableButtons(root) {
    root.querySelectorAll("[data-sending]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("data-sending");
    });
    if (root.removeAttribute) { root.removeAttribute("aria-busy"); }
  }
  // Back to a page from the browser's cache: its buttons must work again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[aria-busy]").forEach(enableButtons);
  });

  // Leaving a page with unsaved text asks first. Every form with a text area counts: text
  // typed since the page loaded (a field whose value differs from what the page was served
  // with), or a form the server sent back refused, which still holds text nobody has saved.
  // Autosave scripts set a field's defaultValue once the server has its value. The form being
  // sent is not "left": its text goes with it.
  var sending = null;
  window.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) { sending = event.target; }
  });
  function textFields(form) {
    return form.querySelectorAll("textarea, input:not([type]), input[type=text], input[type=email], input[type=url], input[type=search]");
  }
  function unsaved(form) {
    if (form === sending || !form.querySelector("textarea")) { return false; }
    var refused = !form.hasAttribute("data-saved") && form.querySelector(".errorlist, [aria-invalid=true]") !== null;
    return Array.prototype.some.call(textFields(form), function (field) {
      return field.value !== field.defaultValue || (refused && field.tagName === "TEXTAREA" && field.value.trim() !== "");
    });
  }
  function markSaved(form) {
    Array.prototype.forEach.call(textFields(form), function (field) { field.defaultValue = field.value; });
    form.setAttribute("data-saved", "");
  }
  window.addEventListener("beforeunload", function (event) {
    if (Array.prototype.some.call(document.forms, unsaved)) {
      event.preventDefault();
      event.returnValue = "";  // older browsers need a value to show the prompt
    }
  });
  window.addEventListener("pageshow", function () { sending = null; });

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary(document);
    attachCounters(document);
    followJob(false);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    attachCounters(event.target);
  });
  document.addEventListener("htmx:afterSettle", function () { followJob(true); });
  window.mentorship = {
    attachCounters: attachCounters, focusErrorSummary: focusErrorSummary, markSaved: markSaved
  };
})();
