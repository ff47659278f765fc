// Type-ahead people pickers (issue 14): an email field whose suggestions come from the
// institution's people search (htmx swaps them into the list after the field). Choosing one
// fills the field. Without JavaScript the field still takes a typed email.
(function () {
  "use strict";

  function attach(input) {
    if (input.dataset.pickerAttached) { return; }
    input.dataset.pickerAttached = "1";
    var list = document.createElement("ul");
    list.className = "people-suggestions";
    list.id = input.id + "-suggestions";
    list.setAttribute("aria-label", "Suggested people");
    list.setAttribute("aria-live", "polite");
    input.setAttribute("aria-controls", list.id);
    input.insertAdjacentElement("afterend", list);

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        var first = list.querySelector("button");
        if (first) { event.preventDefault(); first.focus(); }
      } else if (event.key === "Escape") {
        close(input, list);
      }
    });
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-pick]");
      if (!button) { return; }
      input.value = button.dataset.pick;
      close(input, list);
      input.focus();
    });
    list.addEventListener("keydown", function (event) {
      var buttons = Array.prototype.slice.call(list.querySelectorAll("button"));
      var at = buttons.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && at < buttons.length - 1) {
        event.preventDefault(); buttons[at + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault(); (at > 0 ? buttons[at - 1] : input).focus();
      } else if (event.key === "Escape") {
        close(input, list); input.focus();
      }
    });
  }

  function close(input, list) {
    list.innerHTML = "";
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-people-picker]").forEach(attach);
  });
})();
