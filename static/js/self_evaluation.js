// The self-evaluation form: autosave feedback, two-tab conflicts, and never losing typed text.
//
// htmx posts the step form to its autosave URL as the person types (see step.html). This script:
// - keeps a copy of every field in localStorage (keyed by assessment and field) until the server
//   has it, and restores it when the step is opened again (after a sign-in, a crash, a lost
//   connection), then saves it with the revision it was typed against, so a newer save from
//   elsewhere shows up as a conflict instead of being overwritten;
// - shows the 409 conflict panel, and a sign-in link when the session has expired;
// - makes the progress links save the step first, and waits for a running autosave before the
//   Previous/Next buttons submit, so an older autosave never lands after newer data.
(function () {
  "use strict";

  var form = document.querySelector("form[data-autosave]");
  var statusBox = document.getElementById("autosave-status");

  document.addEventListener("click", function (event) {
    var printButton = event.target.closest("[data-print]");
    if (printButton) { window.print(); }
  });

  if (!form || !statusBox) { return; }

  var assessment = form.getAttribute("data-assessment");
  var loginUrl = form.getAttribute("data-login-url");
  var loginPath = new URL(loginUrl, window.location.href).pathname;
  var SKIP = { csrfmiddlewaretoken: 1, revision: 1, editor: 1, action: 1, overwrite_revision: 1 };
  // Private reflections should not sit on a shared computer for ever: older copies are dropped.
  var BACKUP_DAYS = 14;
  var submitting = false;
  var lastInputAt = 0;
  var requestStartedAt = 0;

  function storageKey(name) { return "mentorship:self-evaluation:" + assessment + ":" + name; }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function revisionInput() { return document.getElementById("revision-input"); }

  function fieldNames() {
    var names = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (el.name && !SKIP[el.name] && el.type !== "submit" && el.type !== "button" && names.indexOf(el.name) < 0) {
        names.push(el.name);
      }
    });
    return names;
  }

  function valueOf(name) {
    var els = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
    var first = els[0];
    if (first.type === "checkbox" || first.type === "radio") {
      return Array.prototype.filter.call(els, function (el) { return el.checked; })
        .map(function (el) { return el.value; });
    }
    return first.value;
  }

  function apply(name, value) {
    var els = form.querySelectorAll('[name="' + CSS.escape(name) + '"]');
    Array.prototype.forEach.call(els, function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = value.indexOf(el.value) >= 0;
      } else {
        el.value = value;
      }
    });
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function backup() {
    var store = storage();
    if (!store) { return; }
    var revision = revisionInput() ? revisionInput().value : "";
    fieldNames().forEach(function (name) {
      try {
        store.setItem(storageKey(name), JSON.stringify({ v: valueOf(name), r: revision, t: Date.now() }));
      } catch (e) { /* storage full: the server copy is all we have */ }
    });
  }

  function clearBackup() {
    var store = storage();
    if (!store) { return; }
    fieldNames().forEach(function (name) { store.removeItem(storageKey(name)); });
  }

  function say(html, cls) {
    statusBox.innerHTML = "";
    var span = document.createElement("span");
    if (cls) { span.className = cls; }
    span.innerHTML = html;
    statusBox.appendChild(span);
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  // Restore what was typed here before but never reached the server.
  function restore() {
    var store = storage();
    if (!store) { return; }
    var restored = false;
    var revision = null;
    fieldNames().forEach(function (name) {
      var raw = store.getItem(storageKey(name));
      if (!raw) { return; }
      var saved;
      try { saved = JSON.parse(raw); } catch (e) { store.removeItem(storageKey(name)); return; }
      var tooOld = Date.now() - (saved.t || 0) > BACKUP_DAYS * 24 * 3600 * 1000;
      if (tooOld || same(saved.v, valueOf(name))) { store.removeItem(storageKey(name)); return; }
      apply(name, saved.v);
      restored = true;
      if (saved.r !== "" && (revision === null || Number(saved.r) < revision)) { revision = Number(saved.r); }
    });
    if (!restored) { return; }
    if (revision !== null && revisionInput()) { revisionInput().value = String(revision); }
    var notice = document.getElementById("restore-notice");
    if (notice) {
      notice.textContent = "We restored what you typed on this step earlier that had not reached " +
        "the server yet, and are saving it now. Check it before you continue.";
      notice.hidden = false;
    }
    form.setAttribute("data-restored", "1");
    htmx.trigger(form, "input");
  }

  function signedOut() {
    backup();
    say(
      'You have been signed out, so your latest changes are not saved yet. They are kept on this device. ' +
      '<a href="' + escapeHtml(loginUrl) + '">Sign in again</a> to come back to this step and save them.',
      "autosave-error"
    );
  }

  form.addEventListener("input", function () {
    lastInputAt = Date.now();
    backup();
  });

  form.addEventListener("htmx:confirm", function (event) {
    if (submitting) { event.preventDefault(); }
  });

  form.addEventListener("htmx:beforeRequest", function () {
    requestStartedAt = Date.now();
    if (!statusBox.querySelector(".autosave-error")) { say("Saving…", "autosave-pending"); }
  });

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var responsePath = "";
    try { responsePath = new URL(xhr.responseURL).pathname; } catch (e) { /* older browsers */ }
    if (responsePath === loginPath || (xhr.status === 200 && !xhr.getResponseHeader("X-Autosave"))) {
      event.detail.shouldSwap = false;
      signedOut();
      return;
    }
    if (xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      return;
    }
    if (xhr.status >= 400) {
      event.detail.shouldSwap = false;
      backup();
      say("Not saved: the server did not accept it (error " + xhr.status + "). What you typed is " +
        "kept on this device; reload the page to try again.", "autosave-error");
    }
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var xhr = event.detail.xhr;
    var state = xhr && xhr.getResponseHeader("X-Autosave");
    if (state === "saved" && requestStartedAt >= lastInputAt) {
      clearBackup();
      if (window.mentorship) { window.mentorship.markSaved(form); }
      form.removeAttribute("data-restored");
    }
    if (state === "conflict") {
      // The panel shows both versions; the choice is made there, so this copy has done its job.
      clearBackup();
      say("Not saved: this step was changed in another tab. Choose which version to keep above.",
        "autosave-error");
      var panel = document.querySelector("[data-conflict]");
      if (panel) { panel.focus(); }
    }
  });

  document.body.addEventListener("htmx:sendError", function () {
    backup();
    say("Not saved: no connection. What you typed is kept on this device and is saved when the " +
      "connection is back.", "autosave-error");
  });

  window.addEventListener("online", function () { htmx.trigger(form, "input"); });

  // Previous/Next (and the progress links below) post the whole form. Wait for an autosave that
  // is still running, and stop queued ones, so the last write is always the newest.
  form.addEventListener("submit", function (event) {
    backup();
    if (form.classList.contains("htmx-request")) {
      event.preventDefault();
      var submitter = event.submitter;
      submitting = true;
      form.addEventListener("htmx:afterRequest", function () {
        submitting = false;
        if (submitter) { form.requestSubmit(submitter); } else { form.requestSubmit(); }
      }, { once: true });
      return;
    }
    submitting = true;
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-step-link]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    event.preventDefault();
    var action = document.createElement("input");
    action.type = "hidden";
    action.name = "action";
    action.value = "goto:" + link.getAttribute("data-step-link");
    form.appendChild(action);
    form.requestSubmit();
  });

  // After htmx has processed the page (on DOMContentLoaded; its listener was added first), so the
  // autosave a restore triggers is heard. Deferred scripts run while readyState is "interactive",
  // before DOMContentLoaded.
  if (document.readyState === "complete") {
    restore();
  } else {
    document.addEventListener("DOMContentLoaded", restore);
  }
})();
