// jwtlens: the only script of ours. Local times, copy buttons, share links (in the URL fragment,
// which browsers never send to a server) and keyboard shortcuts. No inline handlers: the CSP forbids them.
(function () {
  "use strict";

  function $(selector) { return document.querySelector(selector); }

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
    if (copy) {
      var source = $(copy.getAttribute("data-copy"));
      if (source) copyText(source.value !== undefined ? source.value : source.textContent, "Copied.");
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

  document.addEventListener("input", function (event) {
    // Once the user types their own key, it no longer came from a link.
    if (event.isTrusted && event.target instanceof Element && event.target.id === "key") {
      var fromLink = $("#key-from-link");
      if (fromLink) fromLink.value = "";
    }
  });

  document.addEventListener("DOMContentLoaded", function () { localize(); openShared(); });
  document.addEventListener("htmx:afterSettle", localize);
  document.addEventListener("htmx:oobAfterSwap", localize);
})();
