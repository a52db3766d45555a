// Progressive enhancement only: every page works without this file.
// When a recording cannot be played, ask the console why and say so beside the player
// (a bare <audio> element would just stay silent).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".player[data-audio]").forEach(function (player) {
    var audio = player.querySelector("audio");
    var message = player.querySelector(".player-message");
    if (!audio || !message) { return; }
    audio.addEventListener("error", function () {
      var url = player.getAttribute("data-audio") + "?check=1";
      fetch(url, { headers: { "Accept": "text/plain" }, credentials: "same-origin" })
        .then(function (response) {
          return response.ok ? "" : response.text();
        })
        .catch(function () { return ""; })
        .then(function (text) {
          message.textContent = text || player.getAttribute("data-fallback") || "";
          message.hidden = !message.textContent;
        });
    });
  });
});
