/**
 * The control page at `/__mock/`: plain HTML and a script, served by the mock itself (no build step, no CDN, works
 * offline). It reads `GET /__mock/tasks` twice a second and drives the admin controls and the API from the mock's own
 * origin. Loaded on the first visit only, so it costs the mock nothing at start-up.
 */

/** The page's HTML. */
export function controlPageHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kling-O1 mock</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem 1.5rem; color: #1d1d1f; }
  h1 { font-size: 1.3rem; margin: 0 0 .5rem; } h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
  fieldset { border: 1px solid #ccc; border-radius: 6px; margin: .4rem 0; padding: .4rem .8rem; }
  label { margin-right: .8rem; } input[type=text], input:not([type]) { width: 18rem; }
  table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .4rem; text-align: left; vertical-align: top; }
  code, pre { font-family: ui-monospace, monospace; font-size: 12px; } pre { margin: 0; white-space: pre-wrap; max-width: 60rem; }
  .badge { border-radius: 4px; padding: 0 .35rem; font-size: 12px; background: #eee; }
  .replay { background: #ffe9a8; } .failed, .refused { color: #b00020; } .completed, .ok { color: #0a7a2f; }
  #message { min-height: 1.2em; } .muted { color: #777; }
</style>
</head>
<body>
<h1>Kling-O1 Video Edit mock</h1>
<div id="message" role="status"></div>

<fieldset id="clock-controls"><legend>Clock and scenario</legend>
  <span id="clock">…</span>
  <button type="button" id="pause">Pause</button>
  <button type="button" id="resume">Resume</button>
  <label>advance by <input id="advance-by" value="30s" size="6" style="width:5rem"></label><button type="button" id="advance">Advance</button>
  <label>speed <input id="speed" size="6" style="width:5rem"></label><button type="button" id="set-speed">Set speed</button>
  <label>scenario <select id="scenario"></select></label><button type="button" id="set-scenario">Switch</button>
  <button type="button" id="reset">Reset everything</button>
</fieldset>

<fieldset><legend>Create a task (POST /v1/videos/generations, as a client would)</legend>
<form id="create">
  <label>prompt <input name="prompt" value="Make the video more cinematic"></label>
  <label>video URL <input name="video" value="https://example.com/original-video.mp4"></label><br>
  <label>callback URL <input name="callback" placeholder="optional"></label>
  <label>token <input name="token" value="dev" style="width:8rem"></label>
  <label>Prefer scenario <select name="prefer"><option value="">(server's)</option></select></label>
  <button type="submit" id="create-submit">Create</button>
</form>
<div id="create-result" class="muted"></div>
</fieldset>

<h2>Tasks</h2>
<fieldset><legend>Controls apply to a row's task</legend>
  <label>fail with code <input id="fail-code" value="video_download_failed" style="width:12rem"></label>
  <label>message <input id="fail-message" value="The source video could not be downloaded"></label>
  <label>progress <input id="progress-value" value="50" style="width:3rem"></label>
</fieldset>
<table id="tasks"><thead><tr><th>task</th><th>scenario</th><th>status</th><th>progress</th><th>result link</th><th>controls</th></tr></thead><tbody></tbody></table>
<p id="no-tasks" class="muted">No tasks yet: create one above, or point a client at this mock.</p>

<h2>Callbacks</h2>
<table id="callbacks"><thead><tr><th>task</th><th>receiver</th><th>state</th><th>attempts</th><th>payload</th></tr></thead><tbody></tbody></table>

<h2>Requests <span id="replay-summary" class="muted"></span></h2>
<table id="requests"><thead><tr><th>time (mock clock)</th><th>request</th><th>status</th><th>answered by</th></tr></thead><tbody></tbody></table>
<script src="page.js"></script>
</body>
</html>
`;
}

/** The page's script (plain browser JavaScript, no modules, no dependencies). */
export function controlPageScript(): string {
  return `"use strict";
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var state = null;
  var scenariosFilled = false;

  function text(value) { return document.createTextNode(value == null ? "" : String(value)); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.appendChild(typeof c === "object" ? c : text(c)); });
    return node;
  }
  function say(message, bad) { var m = $("message"); m.textContent = message; m.className = bad ? "refused" : "ok"; }
  function left(ms) {
    if (ms == null) return "";
    if (ms <= 0) return "expired";
    var s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + "h " : "") + (h || m ? m + "m " : "") + (s % 60) + "s left";
  }

  async function control(path, body) {
    var res = await fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body || {}) });
    var data = await res.json().catch(function () { return {}; });
    if (!res.ok) say((data.error && data.error.message) || ("HTTP " + res.status), true);
    else say(path.replace("/__mock/", "") + ": done");
    await refresh();
    return data;
  }

  function renderClock(s) {
    $("clock").textContent = s.clock.now.replace("T", " ").replace("Z", " UTC") + (s.clock.paused ? " (paused)" : " (running)") + ", speed " + s.clock.speed + "x, scenario " + s.scenario;
    $("clock").setAttribute("data-paused", String(s.clock.paused));
    if (document.activeElement !== $("speed") && !$("speed").value) $("speed").value = s.clock.speed;
    if (!scenariosFilled) {
      scenariosFilled = true;
      s.scenarios.forEach(function (name) {
        $("scenario").appendChild(el("option", { value: name }, [name]));
        document.querySelector("#create select[name=prefer]").appendChild(el("option", { value: name }, [name]));
      });
      $("scenario").value = s.scenario;
    }
  }

  function actions(task) {
    var cell = el("td");
    [["complete", "Complete"], ["fail", "Fail"], ["progress", "Set progress"], ["expire", "Expire link"]].forEach(function (pair) {
      var b = el("button", { type: "button", "data-action": pair[0], "data-id": task.id }, [pair[1]]);
      cell.appendChild(b);
    });
    return cell;
  }

  // Rows are updated in place (the control buttons stay put, so a click is never lost to a refresh).
  function renderTasks(s) {
    var body = $("tasks").querySelector("tbody");
    var ids = {};
    s.tasks.forEach(function (t) { ids[t.id] = true; });
    Array.prototype.slice.call(body.children).forEach(function (row) { if (!ids[row.getAttribute("data-id")]) body.removeChild(row); });
    s.tasks.forEach(function (t) {
      var row = body.querySelector('tr[data-id="' + t.id + '"]');
      if (!row) {
        row = el("tr", { "data-id": t.id }, [el("td", {}, [el("code", {}, [t.id])]), el("td", {}, [t.scenario]),
          el("td", { "class": "status" }), el("td", { "class": "progress" }), el("td", { "class": "link" }), actions(t)]);
        body.insertBefore(row, body.firstChild);
      }
      row.setAttribute("data-status", t.status);
      var cells = row.children;
      cells[2].textContent = t.status; cells[2].className = "status " + t.status;
      cells[3].textContent = "";
      cells[3].appendChild(el("progress", { max: "100", value: String(t.progress) }));
      cells[3].appendChild(text(" " + t.progress + "%"));
      cells[4].textContent = "";
      if (t.detail.results) {
        cells[4].appendChild(el("a", { href: t.detail.results[0] }, ["video"]));
        cells[4].appendChild(text(" " + left(t.resultExpiresInMs)));
      }
    });
    $("no-tasks").hidden = s.tasks.length > 0;
  }

  function renderCallbacks(s) {
    var body = $("callbacks").querySelector("tbody");
    body.textContent = "";
    s.tasks.filter(function (t) { return t.callback; }).reverse().forEach(function (t) {
      var cb = t.callback;
      var attempts = el("td", { "class": "attempts" }, cb.attempts.map(function (a) {
        return el("div", {}, ["#" + a.attempt + " " + a.at.slice(11, 19) + " " + (a.status != null ? "HTTP " + a.status : a.error)]);
      }));
      var payload = cb.payload == null ? el("td", { "class": "muted" }, ["not sent yet"])
        : el("td", {}, [el("details", {}, [el("summary", {}, ["body"]), el("pre", {}, [JSON.stringify(cb.payload, null, 2)])])]);
      body.appendChild(el("tr", { "data-id": t.id, "data-state": cb.state }, [
        el("td", {}, [el("code", {}, [t.id])]), el("td", {}, [cb.url]), el("td", { "class": "state " + cb.state }, [cb.state]), attempts, payload,
      ]));
    });
  }

  function renderRequests(s) {
    var body = $("requests").querySelector("tbody");
    body.textContent = "";
    $("replay-summary").textContent = s.replay ? "(replaying: " + s.replay.used + " of " + s.replay.recordings + " recordings used)" : "";
    s.requests.slice(-50).reverse().forEach(function (r) {
      var by = r.source === "replay" ? el("span", { "class": "badge replay", title: r.file }, ["replayed: " + r.file]) : el("span", { "class": "badge" }, ["simulation"]);
      body.appendChild(el("tr", { "data-source": r.source }, [
        el("td", {}, [r.at.slice(11, 23)]), el("td", {}, [el("code", {}, [r.method + " " + r.path])]),
        el("td", {}, [r.status != null ? String(r.status) : ""].concat(r.fault ? [" (" + r.fault + ")"] : [])), el("td", {}, [by]),
      ]));
    });
  }

  async function refresh() {
    try {
      var res = await fetch("/__mock/tasks", { cache: "no-store" });
      state = await res.json();
    } catch (e) {
      say("The mock does not answer: is it still running?", true);
      return;
    }
    renderClock(state); renderTasks(state); renderCallbacks(state); renderRequests(state);
  }

  $("tasks").addEventListener("click", function (event) {
    var b = event.target.closest("button[data-action]");
    if (!b) return;
    var id = encodeURIComponent(b.getAttribute("data-id")), action = b.getAttribute("data-action");
    var body = action === "fail" ? { code: $("fail-code").value, message: $("fail-message").value }
      : action === "progress" ? { progress: Number($("progress-value").value) } : {};
    control("/__mock/tasks/" + id + "/" + action, body);
  });
  $("pause").onclick = function () { control("/__mock/clock/pause"); };
  $("resume").onclick = function () { control("/__mock/clock/resume"); };
  $("advance").onclick = function () { control("/__mock/clock/advance", { by: $("advance-by").value }); };
  $("set-speed").onclick = function () { control("/__mock/clock/speed", { speed: Number($("speed").value) }); };
  $("set-scenario").onclick = function () { control("/__mock/scenario", { scenario: $("scenario").value }); };
  $("reset").onclick = function () { control("/__mock/reset"); };
  $("create").addEventListener("submit", async function (event) {
    event.preventDefault();
    var f = event.target;
    var body = { model: "kling-o1-video-edit", prompt: f.prompt.value, video_urls: [f.video.value] };
    if (f.callback.value) body.callback_url = f.callback.value;
    var headers = { "content-type": "application/json", authorization: "Bearer " + f.token.value };
    if (f.prefer.value) headers.prefer = "scenario=" + f.prefer.value;
    var out = $("create-result");
    try {
      var res = await fetch("/v1/videos/generations", { method: "POST", headers: headers, body: JSON.stringify(body) });
      var data = await res.text();
      out.textContent = "HTTP " + res.status + " (" + (res.headers.get("x-request-id") || "no request id") + "): " + data;
      out.className = res.ok ? "ok" : "refused";
    } catch (e) {
      out.textContent = "No answer: " + e.message + " (a reset or hang scenario drops it; the task may exist)";
      out.className = "refused";
    }
    refresh();
  });

  refresh();
  setInterval(refresh, 500);
})();
`;
}
