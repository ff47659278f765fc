// Prefill a time zone field with the browser's own zone, as a suggestion the person can change.
// Only a field marked data-guess-time-zone, and only while it still holds the server's default
// (so a value the person typed, or one kept after a refused submit, is never replaced).
(function () {
  "use strict";
  function guess() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      return "";
    }
  }
  function prefill() {
    var zone = guess();
    if (!zone) return;
    document.querySelectorAll("input[data-guess-time-zone]").forEach(function (input) {
      if (input.value === "" || input.value === input.getAttribute("data-guess-time-zone")) {
        input.value = zone;
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", prefill);
  } else {
    prefill();
  }
})();
