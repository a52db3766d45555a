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

// The inbox: refresh the queues' counts and the tab title's count of new reports every
// 45 s without a reload (the page shows the same counts without this script).
document.addEventListener("DOMContentLoaded", function () {
  var inbox = document.querySelector(".inbox-page[data-counts]");
  if (!inbox) { return; }
  var shown = function (n, cap) { return n > cap ? cap + "+" : String(n); };
  var refresh = function () {
    fetch(inbox.getAttribute("data-counts"), { credentials: "same-origin",
                                               headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .catch(function () { return null; })
      .then(function (data) {
        if (!data) { return; }
        Object.keys(data.queues).forEach(function (queue) {
          var counter = inbox.querySelector('[data-count="' + queue + '"]');
          if (counter) { counter.textContent = shown(data.queues[queue], data.cap); }
        });
        var title = inbox.getAttribute("data-title");
        document.title = (data["new"] ? "(" + shown(data["new"], data.cap) + ") " : "") + title;
      });
  };
  window.setInterval(refresh, 45000);
  inbox.addEventListener("hotline:refresh", refresh);  // lets a test ask for one now
});

// A report's page: keyboard shortcuts. j/k next and previous report (the page's own
// links), a acknowledge, m assign to me, n the note, ? the list of them. They act on the
// report the address names (#report-…), else the first one; never while typing.
document.addEventListener("DOMContentLoaded", function () {
  var reports = document.querySelectorAll("article.report[data-reference]");
  var overlay = document.getElementById("shortcuts");
  if (!reports.length || !overlay) { return; }
  var opener = document.querySelector("[data-shortcuts]");
  if (opener) { opener.hidden = false; }
  var current = function () {
    var named = window.location.hash && document.querySelector(window.location.hash + "[data-reference]");
    return named || reports[0];
  };
  var form = function () { return current().querySelector("form.work-form"); };
  var toggle = function (show) { overlay.hidden = !show; };
  var follow = function (id) {
    var link = document.getElementById(id);
    if (link) { window.location.href = link.href; }
  };
  var actions = {
    j: function () { follow("next-report"); },
    k: function () { follow("previous-report"); },
    a: function () {
      var work = form();
      var status = work && work.querySelector("select[name=to] option[value=acknowledged]");
      if (status) { status.selected = true; work.submit(); }
    },
    m: function () {
      var work = form();
      var who = work && work.querySelector("select[name=assignee]");
      if (who) { who.value = who.getAttribute("data-me"); work.submit(); }
    },
    n: function () {
      var note = form() && form().querySelector("textarea[name=note]");
      if (note) { note.focus(); note.scrollIntoView({ block: "center" }); }
    },
    "?": function () { toggle(overlay.hidden); }
  };
  if (opener) { opener.addEventListener("click", function () { toggle(true); }); }
  overlay.querySelector("[data-shortcuts-close]").addEventListener("click", function () {
    toggle(false);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { toggle(false); return; }
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey || (target && (target.isContentEditable ||
        /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)))) { return; }
    var action = actions[event.key];
    if (action) { event.preventDefault(); action(); }
  });
});
