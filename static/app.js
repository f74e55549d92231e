// jwtlens: the only script of ours. Local times, copy buttons, share links (in the URL fragment,
// which browsers never send to a server) and keyboard shortcuts. No inline handlers: the CSP forbids them.
(function () {
  "use strict";

  function $(selector) { return document.querySelector(selector); }

  // Theme: the switch's choice (localStorage), else the OS setting. Set before the first paint.
  var THEME_KEY = "jwtlens-theme";
  function storedTheme() {
    try { return localStorage.getItem(THEME_KEY); } catch (e) { return null; }
  }
  function effectiveTheme() {
    var chosen = document.documentElement.getAttribute("data-theme");
    if (chosen === "light" || chosen === "dark") return chosen;
    return window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  (function () {
    var chosen = storedTheme();
    if (chosen === "light" || chosen === "dark") document.documentElement.setAttribute("data-theme", chosen);
  })();
  function showTheme() {
    var button = $("#theme-toggle");
    if (!button) return;
    var dark = effectiveTheme() === "dark";
    button.textContent = dark ? "Light theme" : "Dark theme";
    button.setAttribute("aria-pressed", dark ? "true" : "false");
  }
  function toggleTheme() {
    var next = effectiveTheme() === "dark" ? "light" : "dark";
    document.documentElement.setAttribute("data-theme", next);
    try { localStorage.setItem(THEME_KEY, next); } catch (e) { /* private mode: this page only */ }
    showTheme();
  }

  // Live editors: a paste, or a keystroke while the server is idle, goes at once; keystrokes while an
  // answer is on its way wait until 40 ms after the last one. hx-sync "queue last" keeps only the latest.
  var BURST_MS = 40;
  var timers = new WeakMap();
  function sendEdit(field) {
    if (window.htmx) window.htmx.trigger(field, "edit");
  }
  function layerOf(field) {
    var overlay = field.closest(".overlay");
    return overlay ? overlay.querySelector(".layer") : null;
  }
  // Until the server's coloured layer arrives, the layer holds the plain text, so nothing is misaligned.
  function plainLayer(field) {
    var layer = layerOf(field);
    if (layer && layer.textContent !== field.value) layer.textContent = field.value;
  }
  function onLiveInput(event) {
    var field = event.target;
    if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute("data-live")) return;
    // Once the user types their own key, it no longer came from a link (cleared before the post reads it).
    if (event.isTrusted && field.id === "key" && $("#key-from-link")) $("#key-from-link").value = "";
    if (event.isTrusted && field.id === "token") ownToken = true;
    plainLayer(field);
    var waiting = timers.get(field);
    clearTimeout(waiting);
    timers.delete(field);
    var pasted = event.inputType === "insertFromPaste" || event.inputType === "insertFromDrop";
    if (pasted || (!waiting && !inFlight)) {
      sendEdit(field);
    } else {
      timers.set(field, setTimeout(function () { timers.delete(field); sendEdit(field); }, BURST_MS));
    }
  }
  // The server is busy with an earlier edit: the next keystroke waits its burst out instead.
  var inFlight = 0;
  document.addEventListener("htmx:beforeRequest", function () { inFlight++; });
  document.addEventListener("htmx:afterRequest", function () { inFlight = Math.max(0, inFlight - 1); });
  function syncLayers() {
    var fields = document.querySelectorAll(".overlay > textarea");
    for (var i = 0; i < fields.length; i++) plainLayer(fields[i]);
  }

  // The check of the claim on the caret's line, for keyboard and screen-reader users.
  function caretCheck(field) {
    if (field.id !== "payload-json" && field.id !== "header-json") return;
    var out = $("#" + field.id.replace("-json", "-caret"));
    var layer = layerOf(field);
    if (!out || !layer) return;
    var line = field.value.slice(0, field.selectionStart).split("\n").length - 1;
    var mark = layer.querySelector('.mark[data-line="' + line + '"]');
    var text = mark ? "Line " + (line + 1) + ": " + mark.getAttribute("title") : "";
    if (out.textContent !== text) out.textContent = text;
  }

  function localize() {
    var nodes = document.querySelectorAll(".local-time[data-epoch]");
    for (var i = 0; i < nodes.length; i++) {
      var date = new Date(Number(nodes[i].getAttribute("data-epoch")) * 1000);
      if (!isNaN(date.getTime())) nodes[i].textContent = date.toLocaleString();
    }
  }

  function say(text) {
    var out = $("#share-output");
    if (out) out.textContent = text;
  }

  function copyText(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say(done); }, function () { say(text); });
    } else {
      say(text); // no clipboard on plain http: show it to copy by hand
    }
  }

  // "Copied" appears beside the button pressed, then goes.
  function besides(button, text) {
    var note = button.nextElementSibling;
    if (!note || !note.classList.contains("copied")) {
      note = document.createElement("span");
      note.className = "copied";
      note.setAttribute("role", "status");
      button.insertAdjacentElement("afterend", note);
    }
    note.textContent = text;
    clearTimeout(note._timer);
    note._timer = setTimeout(function () { note.remove(); }, 2500);
  }

  function copyFrom(button, source) {
    var text = source.value !== undefined ? source.value : source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { besides(button, "Copied"); },
        function () { selectForCopy(button, source); });
    } else {
      selectForCopy(button, source);
    }
  }

  function selectForCopy(button, source) {
    if (source.select) { source.focus(); source.select(); }
    besides(button, "Selected: press Ctrl+C");
  }

  function shareLink() {
    var token = $("#token");
    if (!token || !token.value.trim()) { say("Paste a token first."); return; }
    var params = new URLSearchParams();
    params.set("token", token.value.trim());
    var note = "Share link copied. The token rides in the # part, which is never sent to a server.";
    var key = $("#key") ? $("#key").value : "";
    function finish(extra) {
      copyText(location.origin + location.pathname + "#" + params.toString(), note + extra);
    }
    if (!($("#share-key") && $("#share-key").checked) || !key.trim()) { finish(""); return; }
    // The server reads the key as it is now (never a flag from an earlier answer) and hands back
    // only its public members, re-serialised: a secret or a private part never reaches the link.
    fetch("/api/keys/shareable", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key: key, secret_encoding: ($("#key-encoding") || {}).value || "utf8" })
    }).then(function (response) {
      return response.ok ? response.json() : { shareable: false, reason: "the key could not be read" };
    }).then(function (answer) {
      if (answer.shareable) { params.set("key", answer.key); finish(" It carries the public key only."); }
      else { finish(" The key was left out: " + answer.reason + "."); }
    }, function () { finish(" The key was left out: it could not be checked."); });
  }

  function fill(selector, value) {
    var field = $(selector);
    if (!field) return;
    field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function openShared() {
    if (!location.hash || location.hash.length < 2) return;
    var params = new URLSearchParams(location.hash.slice(1));
    var token = params.get("token");
    if (!token) return;
    // The example's keys must not judge a shared token: clear them, then fill what the link carries.
    // A key from a link was chosen by someone else: the page says so next to the result.
    var fromLink = $("#key-from-link");
    if (fromLink) fromLink.value = params.get("key") ? "1" : "";
    fill("#key", params.get("key") || "");
    fill("#sign-key", "");
    fill("#token", token);
  }

  function toggleMode() {
    var sign = $("#mode-sign"), verify = $("#mode-verify");
    if (!sign || !verify) return;
    var next = sign.checked ? verify : sign;
    next.checked = true;
    next.dispatchEvent(new Event("change", { bubbles: true }));
  }

  var shortcuts = {
    T: function () { $("#token").focus(); },
    P: function () { $("#payload-json").focus(); },
    K: function () { ($("#mode-sign").checked ? $("#sign-key") : $("#key")).focus(); },
    M: toggleMode,
    E: function () { $("#load-example").click(); },
    C: function () { copyText($("#token").value, "Token copied."); },
    L: shareLink
  };

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) return;
    var action = shortcuts[event.key.toUpperCase()] || shortcuts[(event.code || "").replace("Key", "")];
    if (action) { event.preventDefault(); action(); }
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var copy = target.closest("button.copy");
    var use = target.closest("button[data-use]");
    if (copy) {
      var source = $(copy.getAttribute("data-copy"));
      if (source) copyFrom(copy, source);
    } else if (use) {
      useKey(use);
    } else if (target.closest("#theme-toggle")) {
      toggleTheme();
    } else if (target.closest("#share-link")) {
      shareLink();
    } else if (target.closest("button.download")) {
      var button = target.closest("button.download");
      var field = $(button.getAttribute("data-download"));
      if (!field) return;
      // A Blob made here: the key never travels anywhere to be downloaded.
      var url = URL.createObjectURL(new Blob([field.value], { type: "application/octet-stream" }));
      var link = document.createElement("a");
      link.href = url;
      link.download = button.getAttribute("data-filename") || "key.txt";
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
    }
  });

  // A generated key into the Verify or the Sign key box (sign: the mode switches to Sign).
  function useKey(button) {
    var from = $(button.getAttribute("data-from"));
    var mode = button.getAttribute("data-use");
    if (!from) return;
    var radio = $(mode === "sign" ? "#mode-sign" : "#mode-verify");
    if (radio && !radio.checked) { radio.checked = true; radio.dispatchEvent(new Event("change", { bubbles: true })); }
    var box = $(mode === "sign" ? "#sign-key" : "#key");
    if (!box) return;
    box.value = from.value;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    besides(button, mode === "sign" ? "In the signing key box" : "In the verify key box");
    box.scrollIntoView({ block: "center" });
  }

  // The issuer box starts with the token's iss until the user types their own URL.
  function prefillIssuer() {
    var hint = $("#issuer-from-token"), box = $("#issuer-url");
    if (!hint || !box) return;
    var iss = hint.getAttribute("data-iss") || "";
    if (!box.value || box.value === box.getAttribute("data-auto")) {
      box.value = iss;
      box.setAttribute("data-auto", iss);
    }
  }

  // Loading an example replaces the token: ask first when the token is the user's own.
  var ownToken = false;
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || elt.id !== "example-form" || !ownToken) return;
    event.preventDefault();
    if (window.confirm("Replace your token (and the keys) with an example?")) {
      ownToken = false;
      event.detail.issueRequest(true);
    }
  });

  document.addEventListener("input", onLiveInput, true);
  ["keyup", "click", "focusin"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target instanceof HTMLTextAreaElement) caretCheck(event.target);
    });
  });


  // A fragment the answer repeats unchanged is left in place: no swap, no clean-up of its subtree (htmx
  // fires two events per element it removes). Never when a field in it holds an edit not yet answered.
  function edited(root) {
    var controls = root.querySelectorAll("textarea, input, select");
    for (var i = 0; i < controls.length; i++) {
      var c = controls[i];
      if (c.tagName === "SELECT") {
        for (var j = 0; j < c.options.length; j++) {
          if (c.options[j].selected !== c.options[j].defaultSelected) return true;
        }
      } else if (c.type === "checkbox" || c.type === "radio") {
        if (c.checked !== c.defaultChecked) return true;
      } else if (c.value !== c.defaultValue) {
        return true;
      }
    }
    return false;
  }
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var detail = event.detail, fragment = detail && detail.fragment, target = detail && detail.target;
    if (!fragment || !target || fragment.childNodes.length !== 1) return;
    if (fragment.firstChild.isEqualNode(target) && !edited(target)) detail.shouldSwap = false;
  });

  // One answer swaps many fragments: tidy up once, after the last of them.
  var tidying = false;
  function settled() {
    if (tidying) return;
    tidying = true;
    Promise.resolve().then(function () { tidying = false; localize(); syncLayers(); prefillIssuer(); });
  }
  // app.js runs before htmx (it sets the theme early): act on the page once htmx has processed it.
  document.addEventListener("DOMContentLoaded", function () {
    showTheme();
    setTimeout(function () { settled(); openShared(); }, 0);
  });
  document.addEventListener("htmx:afterSettle", settled);
  document.addEventListener("htmx:oobAfterSwap", settled);
})();
