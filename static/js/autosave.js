// Autosave for text boxes that name the revision they were typed against (the meeting page's
// shared and private notes). Each form carries data-autosave-url; the server answers with the
// same revision check as its Save button (services NotesConflict), so this adds no second rule.
//
// - saves a moment after the person stops typing, one request at a time, the newest text last;
// - keeps a copy in localStorage until the server has it, and restores it when the page is
//   opened again (after a crash, a sign-out, a lost connection), saving it against the revision
//   it was typed against, so a newer save from elsewhere shows as a conflict, never overwritten;
// - on a conflict (409) shows both versions, stops autosaving that box and lets its Save button
//   go through against the revision now shown (the person merges, then saves);
// - before any other form on the page is sent, saves what is waiting first, so pressing Save in
//   another section never discards the notes (if they cannot be saved, nothing is sent).
(function () {
  "use strict";

  var DELAY_MS = 1200;
  var BACKUP_DAYS = 14;
  var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-autosave-url]"));
  if (!forms.length) { return; }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function Box(form) {
    this.form = form;
    this.url = form.getAttribute("data-autosave-url");
    this.key = "mentorship:autosave:" + form.getAttribute("data-autosave-key");
    this.status = form.querySelector("[data-autosave-status]");
    this.conflict = document.getElementById(form.getAttribute("data-autosave-conflict"));
    this.loginPath = new URL(form.getAttribute("data-login-url"), window.location.href).pathname;
    this.text = form.querySelector("textarea");
    this.revision = form.querySelector("input[name=revision]");
    this.timer = null;
    this.running = null;   // the Promise of the request in flight
    this.dirty = false;    // typed since the last successful save started
    this.failed = false;
    var box = this;
    this.text.addEventListener("input", function () {
      box.dirty = true;
      box.failed = false;
      box.backup();
      box.schedule();
    });
  }

  Box.prototype.paused = function () { return this.form.hasAttribute("data-autosave-paused"); };

  Box.prototype.say = function (html) { if (this.status) { this.status.innerHTML = html; } };

  Box.prototype.sayText = function (text, cls) {
    if (!this.status) { return; }
    this.status.textContent = "";
    var span = document.createElement("span");
    span.className = cls || "";
    span.textContent = text;
    this.status.appendChild(span);
  };

  Box.prototype.backup = function () {
    var store = storage();
    if (!store) { return; }
    try {
      store.setItem(this.key, JSON.stringify({ v: this.text.value, r: this.revision.value, t: Date.now() }));
    } catch (e) { /* storage full: the server copy is all we have */ }
  };

  Box.prototype.clearBackup = function () {
    var store = storage();
    if (store) { store.removeItem(this.key); }
  };

  Box.prototype.schedule = function () {
    var box = this;
    window.clearTimeout(this.timer);
    if (this.paused()) { return; }
    this.timer = window.setTimeout(function () { box.save(); }, DELAY_MS);
  };

  // Saves now (after any request in flight). Resolves true when the box holds nothing unsaved.
  Box.prototype.save = function () {
    var box = this;
    window.clearTimeout(this.timer);
    if (this.paused()) { return Promise.resolve(!this.dirty); }
    if (this.running) {
      return this.running.then(function () { return box.dirty ? box.save() : !box.failed; });
    }
    if (!this.dirty) { return Promise.resolve(!this.failed); }
    this.dirty = false;
    this.sayText("Saving…", "autosave-pending");
    var sentText = this.text.value;
    this.running = fetch(this.url, {
      method: "POST",
      body: new FormData(this.form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      return response.text().then(function (body) { return box.answer(response, body, sentText); });
    }, function () {
      box.fail("Not saved: no connection. What you typed is kept on this device and saved when the connection is back.");
    }).then(function () {
      box.running = null;
      return !box.dirty && !box.failed;
    });
    return this.running;
  };

  Box.prototype.fail = function (message) {
    this.dirty = true;
    this.failed = true;
    this.backup();
    this.sayText(message, "autosave-error");
  };

  Box.prototype.answer = function (response, body, sentText) {
    var state = response.headers.get("X-Autosave");
    var path = "";
    try { path = new URL(response.url).pathname; } catch (e) { /* older browsers */ }
    if (!state || path === this.loginPath) {
      this.fail("You have been signed out, so your latest notes are not saved yet. They are kept on this device; sign in again and open this meeting to save them.");
      return;
    }
    if (state === "saved") {
      this.revision.value = response.headers.get("X-Revision");
      this.say(body);
      if (this.text.value === sentText) {
        this.clearBackup();
        // The leave-page warning (app.js) compares each field with its saved value.
        if (window.mentorship) { window.mentorship.markSaved(this.form); }
      }
      return;
    }
    if (state === "conflict") {
      // Autosave stops here: the next save is the person's, after reading both versions.
      this.form.setAttribute("data-autosave-paused", "");
      this.revision.value = response.headers.get("X-Revision");
      this.failed = true;
      this.dirty = true;
      this.clearBackup();
      if (this.conflict) {
        this.conflict.innerHTML = body;
        var panel = this.conflict.querySelector("[data-conflict]");
        if (panel) { panel.focus(); }
      }
      this.sayText("Not saved: changed elsewhere meanwhile. Both versions are shown; merge, then press Save.", "autosave-error");
      return;
    }
    // Refused (too long, markup, meeting cancelled): keep the text, say why.
    this.failed = true;
    this.dirty = true;
    this.backup();
    this.say(body);
  };

  // What was typed here before but never reached the server comes back, and is saved against
  // the revision it was typed against.
  Box.prototype.restore = function () {
    var store = storage();
    if (!store) { return; }
    var raw = store.getItem(this.key);
    if (!raw) { return; }
    var saved;
    try { saved = JSON.parse(raw); } catch (e) { store.removeItem(this.key); return; }
    var tooOld = Date.now() - (saved.t || 0) > BACKUP_DAYS * 24 * 3600 * 1000;
    if (tooOld || saved.v === this.text.value || this.paused()) { store.removeItem(this.key); return; }
    this.text.value = saved.v;
    if (saved.r !== undefined && saved.r !== "") { this.revision.value = saved.r; }
    this.sayText("We restored notes you typed here earlier that had not been saved, and are saving them now.", "autosave-pending");
    this.dirty = true;
    this.save();
  };

  // The box's own Save button: no autosave may start now, and one still running must land
  // first, so the Save names the revision that autosave made (not an older one, which would
  // look like someone else's save).
  Box.prototype.submitting = function (event) {
    var box = this;
    window.clearTimeout(this.timer);
    this.form.setAttribute("data-autosave-paused", "");
    if (!this.running) { return; }
    event.preventDefault();
    var submitter = event.submitter;
    this.running.then(function () {
      if (submitter) { box.form.requestSubmit(submitter); } else { box.form.requestSubmit(); }
    });
  };

  var boxes = forms.map(function (form) {
    var box = new Box(form);
    form.addEventListener("submit", function (event) { box.submitting(event); });
    return box;
  });
  window.addEventListener("pageshow", function (event) {
    // Back to this page from the browser's cache after a Save: autosave works again.
    if (event.persisted) {
      boxes.forEach(function (box) {
        if (!box.conflict || !box.conflict.querySelector("[data-conflict]")) {
          box.form.removeAttribute("data-autosave-paused");
        }
      });
    }
  });
  boxes.forEach(function (box) { box.restore(); });

  window.addEventListener("online", function () {
    boxes.forEach(function (box) { if (box.failed && !box.paused()) { box.save(); } });
  });

  // Another form on the page (agenda, log, recap, an action item…) reloads the page: save the
  // notes first, and send the form only once nothing typed would be lost.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || form.hasAttribute("data-autosave-url")) { return; }
    var waiting = boxes.filter(function (box) { return box.dirty && !box.paused(); });
    if (!waiting.length) { return; }
    event.preventDefault();
    var submitter = event.submitter;
    Promise.all(waiting.map(function (box) { return box.save(); })).then(function (results) {
      if (results.every(Boolean)) {
        if (submitter) { form.requestSubmit(submitter); } else { form.requestSubmit(); }
        return;
      }
      var stuck = waiting[results.indexOf(false)];
      stuck.sayText("Your notes here are not saved yet, so the other form was not sent. " +
        (stuck.status.textContent || ""), "autosave-error");
      stuck.text.focus();
    });
  }, true);
})();
