// Chrontainer, /containers/{ref}/logs: follows the container's output live over the API's event
// stream, highlights what the search box finds, and keeps the page bounded (at most MAX_LINES
// lines; older ones leave as new ones come). Log lines are untrusted: they enter the page as
// text nodes only, never as markup.
"use strict";
(() => {
  const log = document.getElementById("clog");
  if (!log) return;
  const MAX_LINES = 5000;
  const status = document.getElementById("clog-status");
  const search = document.getElementById("cl-search");
  const matches = document.getElementById("cl-matches");
  const empty = document.getElementById("clog-empty");
  let lastTs = log.dataset.lastTs || "";
  let since = log.dataset.since || "";
  let query = "";
  let source = null;
  let queue = [];
  let flushing = false;

  function say(text) {
    if (status) status.textContent = text;
  }

  function node(tag, cls, text) {
    const e = document.createElement(tag);
    e.className = cls;
    e.textContent = text;
    return e;
  }

  function lineElement(line) {
    const stream = line.stream === "stderr" ? "stderr" : "stdout";
    const row = node("div", `clog-line clog-${stream}`, "");
    const ts = node("time", "clog-ts", line.ts ? line.ts.slice(11, 23) : "");
    if (line.ts) {
      ts.dateTime = line.ts;
      ts.title = line.ts;
    }
    row.append(ts, node("span", "clog-stream", stream), node("span", "clog-text", String(line.text)));
    return row;
  }

  // ---- search: <mark> around every match, rebuilt from the text each time
  function highlight(text) {
    const plain = text.textContent;
    text.replaceChildren();
    if (!query) {
      text.textContent = plain;
      return 0;
    }
    const lower = plain.toLowerCase();
    let from = 0;
    let found = 0;
    for (let at = lower.indexOf(query); at !== -1; at = lower.indexOf(query, at + query.length)) {
      text.append(plain.slice(from, at), node("mark", "", plain.slice(at, at + query.length)));
      from = at + query.length;
      found += 1;
    }
    text.append(plain.slice(from));
    return found;
  }

  function showCount() {
    if (!matches) return;
    if (!query) {
      matches.textContent = "";
      return;
    }
    const n = log.querySelectorAll("mark").length;
    matches.textContent = n === 1 ? "1 match" : `${n} matches`;
  }

  function searchAll() {
    query = search.value.trim().toLowerCase();
    for (const text of log.querySelectorAll(".clog-text")) highlight(text);
    showCount();
    const first = log.querySelector("mark");
    if (first) first.scrollIntoView({ block: "nearest" });
  }

  if (search) {
    let timer = null;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(searchAll, 150);
    });
  }

  // ---- live: lines are queued and added once per frame, so a fast container cannot flood the page
  function flush() {
    flushing = false;
    if (!queue.length) return;
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 16;
    const rows = queue.map((item) => {
      if (item.skipped) return node("div", "clog-line clog-skipped", `${item.skipped} lines skipped (too fast to show)`);
      const row = lineElement(item);
      if (query) highlight(row.querySelector(".clog-text"));
      return row;
    });
    queue = [];
    log.append(...rows);
    while (log.childElementCount > MAX_LINES) log.firstElementChild.remove();
    if (empty) empty.hidden = true;
    if (query) showCount();
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  function enqueue(item) {
    queue.push(item);
    if (queue.length > MAX_LINES) queue.splice(0, queue.length - MAX_LINES);
    if (!flushing) {
      flushing = true;
      requestAnimationFrame(flush);
    }
  }

  function connect() {
    const params = new URLSearchParams({ follow: "true", tail: since ? "all" : "0" });
    if (since) params.set("since", since);
    if (log.dataset.host) params.set("host", log.dataset.host);
    source = new EventSource(`/api/containers/${encodeURIComponent(log.dataset.ref)}/logs?${params}`);
    source.addEventListener("open", () => say("Following new output live."));
    source.addEventListener("line", (e) => {
      const line = JSON.parse(e.data);
      // the stream starts at the last shown line's second: pass on only what is newer
      if (line.ts && lastTs && line.ts <= lastTs) return;
      if (line.ts) {
        lastTs = line.ts;
        since = String(Math.floor(Date.parse(line.ts) / 1000));
      }
      enqueue(line);
    });
    source.addEventListener("skipped", (e) => enqueue(JSON.parse(e.data)));
    source.addEventListener("end", (e) => {
      source.close();
      say(`Not following: ${JSON.parse(e.data).reason}. Reload to see new output.`);
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) return;
      // reconnect ourselves, from the last line seen, rather than replay what is shown
      source.close();
      say("Connection lost; trying again…");
      setTimeout(connect, 3000);
    });
  }

  if (log.dataset.follow === "true" && window.EventSource) {
    say("Connecting…");
    connect();
    window.addEventListener("pagehide", () => source && source.close());
  }
  log.scrollTop = log.scrollHeight;
})();
