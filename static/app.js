// jwtlens: the only script of ours. Shows claim times in the browser's own time zone.
(function () {
  "use strict";
  function localize(root) {
    var nodes = (root || document).querySelectorAll(".local-time[data-epoch]");
    for (var i = 0; i < nodes.length; i++) {
      var epoch = Number(nodes[i].getAttribute("data-epoch"));
      if (!isFinite(epoch)) continue;
      var date = new Date(epoch * 1000);
      if (isNaN(date.getTime())) continue;
      nodes[i].textContent = date.toLocaleString();
    }
  }
  document.addEventListener("DOMContentLoaded", function () { localize(document); });
  document.addEventListener("htmx:afterSettle", function () { localize(document); });
  document.addEventListener("htmx:oobAfterSwap", function () { localize(document); });
})();
