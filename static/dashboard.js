// Chrontainer dashboard: the filter, container actions, schedule actions and the schedule form
// with its live cron preview. Uses window.Chrontainer from app.js.
"use strict";
(() => {
  const C = window.Chrontainer;
  if (!C) return;
  const $ = (sel, scope = document) => scope.querySelector(sel);
  const $$ = (sel, scope = document) => Array.from(scope.querySelectorAll(sel));
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  const DISRUPTIVE = new Set(["stop", "restart", "pause"]);
  const DOING = { start: "Starting", stop: "Stopping", restart: "Restarting", pause: "Pausing", unpause: "Unpausing" };

  // ---- filter: the same rule as the server (format::matches), kept in the address
  const filterForm = $("#filter");
  const q = $("#q");
  const stateFilter = $("#state-filter");
  const hostFilter = $("#host-filter");
  function matches(haystack, query) {
    return query.toLowerCase().split(/\s+/).filter(Boolean).every((term) => haystack.includes(term));
  }
  function stateMatches(filter, row) {
    const cat = row.getAttribute("data-cat");
    if (filter === "running") return cat === "running";
    if (filter === "stopped") return cat !== "running";
    if (filter === "unhealthy") return row.getAttribute("data-health") === "unhealthy";
    return true;
  }
  function applyFilter() {
    const query = q.value.trim();
    const state = stateFilter.value;
    const host = hostFilter ? hostFilter.value : "";
    let anyContainer = false;
    for (const group of $$("[data-group]")) {
      let any = false;
      for (const row of $$(".ctr", group)) {
        const show =
          matches(row.getAttribute("data-search"), query) && stateMatches(state, row) && (!host || row.getAttribute("data-host") === host);
        row.hidden = !show;
        any = any || show;
      }
      group.hidden = !any;
      anyContainer = anyContainer || any;
    }
    const containersEmpty = $("#containers-nomatch");
    if (containersEmpty) containersEmpty.hidden = anyContainer || !$("[data-group]");
    const schedules = $$(".sch");
    let anySchedule = false;
    for (const row of schedules) {
      row.hidden = !matches(row.getAttribute("data-search"), query);
      anySchedule = anySchedule || !row.hidden;
    }
    const schedulesEmpty = $("#schedules-nomatch");
    if (schedulesEmpty) schedulesEmpty.hidden = anySchedule || !schedules.length;
    const params = new URLSearchParams(location.search);
    query ? params.set("q", query) : params.delete("q");
    state && state !== "all" ? params.set("state", state) : params.delete("state");
    host ? params.set("host", host) : params.delete("host");
    const search = params.toString();
    history.replaceState(null, "", location.pathname + (search ? `?${search}` : "") + location.hash);
  }
  if (filterForm) {
    q.addEventListener("input", applyFilter);
    stateFilter.addEventListener("change", applyFilter);
    if (hostFilter) hostFilter.addEventListener("change", applyFilter);
    filterForm.addEventListener("submit", (e) => {
      // with more schedules than are listed, the server searches them all
      if ($("#schedules-more")) return;
      e.preventDefault();
      applyFilter();
    });
  }

  // ---- container actions
  const inFlight = new Set();
  function markBusy() {
    for (const row of $$(".ctr")) {
      const busy = inFlight.has(row.getAttribute("data-id"));
      row.classList.toggle("busy", busy);
      for (const b of $$("button[data-act]", row)) b.disabled = busy;
      row.setAttribute("aria-busy", busy ? "true" : "false");
    }
  }
  C.afterRefresh.push(markBusy);
  async function containerAction(row, action) {
    const id = row.getAttribute("data-id");
    const name = row.getAttribute("data-name");
    const host = encodeURIComponent(row.getAttribute("data-host") || "local");
    if (inFlight.has(id)) return;
    if (DISRUPTIVE.has(action)) {
      const text = {
        stop: "The container stops and stays stopped until started again.",
        restart: "The container stops and starts again; its service is briefly unavailable.",
        pause: "Every process in the container is frozen until it is unpaused.",
      }[action];
      // a restart may take along those that share its network or need it (restart: true)
      const d = action === "restart" ? await C.api("GET", `/api/containers/${encodeURIComponent(id)}/dependents?host=${host}`) : null;
      const deps = d && d.ok && d.data ? d.data.dependents : [];
      if (deps.length) {
        const n = deps.length;
        const more = `${n} container${n > 1 ? "s" : ""} depend${n > 1 ? "" : "s"} on it (${deps.join(", ")}).`;
        const choice = await C.choose(`${cap(action)} ${name}?`, `${text} ${more}`, cap(action), `Also restart ${n} dependent${n > 1 ? "s" : ""}`);
        if (choice === "more") return void restartWithDependents(id, name, host);
        if (choice !== "ok") return;
      } else if (!(await C.confirmAction(`${cap(action)} ${name}?`, text, cap(action)))) return;
    }
    inFlight.add(id);
    markBusy();
    const note = C.announce(`${DOING[action]} ${name}…`);
    const r = await C.api("POST", `/api/containers/${encodeURIComponent(id)}/${action}?host=${host}`);
    inFlight.delete(id);
    markBusy();
    if (r.ok && r.data && r.data.log) {
      const log = r.data.log;
      const kind = log.status === "success" ? "ok" : log.status === "error" ? "bad" : "info";
      C.announce(`${cap(action)} ${name}: ${log.status}${log.message ? ` — ${log.message}` : ""}`, kind, note);
    } else {
      C.announce(`${cap(action)} ${name} failed: ${r.error ? r.error.message : "no answer"}`, "bad", note);
    }
    C.refresh(0);
  }
  // one run: the dependents stop, the container restarts, the dependents start
  async function restartWithDependents(id, name, host) {
    inFlight.add(id);
    markBusy();
    const note = C.announce(`Restarting ${name} and its dependents…`);
    const r = await C.api("POST", `/api/containers/${encodeURIComponent(id)}/dependents/restart?host=${host}`);
    inFlight.delete(id);
    markBusy();
    announceRun(r, `Restart ${name} with its dependents`, note);
    C.refresh(0);
  }
  function announceRun(r, what, note) {
    if (r.ok && r.data && r.data.log) {
      const steps = r.data.log;
      const last = steps[steps.length - 1];
      if (r.data.status === "success") C.announce(`${what}: ${steps.length} steps done in order`, "ok", note);
      else C.announce(`${what} stopped at ${last ? last.container : "a step"}: ${last ? last.message : ""}`, "bad", note);
    } else {
      C.announce(`${what} failed: ${r.error ? r.error.message : "no answer"}`, "bad", note);
    }
  }

  // ---- stack actions: the whole compose project in dependency order, as one run
  const stacksInFlight = new Set();
  async function stackAction(group, action) {
    const name = group.getAttribute("data-stack");
    const host = group.getAttribute("data-host") || "local";
    const key = `${host}/${name}`;
    if (stacksInFlight.has(key)) return;
    const text = {
      restart: "Its containers stop in reverse dependency order, then start in order, each waiting for what it depends on.",
      stop: "Its containers stop in reverse dependency order and stay stopped until started again.",
      start: "Its containers start in dependency order, each waiting for what it depends on.",
    }[action];
    const where = host === "local" ? "" : ` on ${host}`;
    if (!(await C.confirmAction(`${cap(action)} the stack ${name}${where}?`, text, `${cap(action)} in order`))) return;
    stacksInFlight.add(key);
    for (const b of $$("button[data-stack-act]", group)) b.disabled = true;
    const note = C.announce(`${DOING[action]} ${name} in dependency order…`);
    const r = await C.api("POST", `/api/stacks/${encodeURIComponent(name)}/${action}?host=${encodeURIComponent(host)}`);
    stacksInFlight.delete(key);
    for (const b of $$("button[data-stack-act]", group)) b.disabled = false;
    announceRun(r, `${cap(action)} ${name} in dependency order`, note);
    C.refresh(0);
  }
  const containers = $("#containers");
  if (containers) {
    containers.addEventListener("click", (e) => {
      const button = e.target.closest("button");
      const group = button && button.hasAttribute("data-stack-act") && button.closest("[data-stack]");
      if (group) return void stackAction(group, button.getAttribute("data-stack-act"));
      const row = button && button.closest(".ctr");
      if (!row) return;
      if (button.hasAttribute("data-act")) containerAction(row, button.getAttribute("data-act"));
      else if (button.hasAttribute("data-new-schedule")) openForm(null, row.getAttribute("data-name"), row.getAttribute("data-host"));
    });
  }

  // ---- restore: start again what a failed run stopped
  const recent = $("#recent");
  if (recent) {
    recent.addEventListener("click", async (e) => {
      const button = e.target.closest("button[data-restore]");
      if (!button) return;
      const runId = button.getAttribute("data-restore");
      const text = "Every container this run stopped and that is still stopped is started again, in the reverse order of the stops.";
      if (!(await C.confirmAction("Restore what this run stopped?", text, "Restore"))) return;
      button.disabled = true;
      const note = C.announce("Restoring…");
      const r = await C.api("POST", `/api/runs/${encodeURIComponent(runId)}/restore`);
      button.disabled = false;
      announceRun(r, "Restore", note);
      C.refresh(0);
    });
  }

  // ---- schedule actions
  async function scheduleAction(row, what, control) {
    const id = row.getAttribute("data-id");
    const sentence = row.getAttribute("data-sentence");
    const action = row.getAttribute("data-action");
    const container = row.getAttribute("data-container");
    if (what === "edit") return openForm(row);
    if (what === "delete") {
      const ok = await C.confirmAction("Delete this schedule?", `${sentence}. Its entries in the activity log stay.`, "Delete");
      if (!ok) return;
    }
    if (what === "run" && DISRUPTIVE.has(action)) {
      const ok = await C.confirmAction(`${cap(action)} ${container} now?`, `This runs “${sentence}” once, now.`, `${cap(action)} now`);
      if (!ok) return;
    }
    control.disabled = true;
    const note = what === "run" ? C.announce(`Running now: ${sentence}…`) : null;
    let r;
    if (what === "toggle") r = await C.api("PATCH", `/api/schedules/${id}`, { enabled: control.checked });
    else if (what === "delete") r = await C.api("DELETE", `/api/schedules/${id}`);
    else if (what === "revert") r = await C.api("POST", `/api/schedules/${id}/revert`);
    else r = await C.api("POST", `/api/schedules/${id}/run`);
    control.disabled = false;
    if (!r.ok) {
      if (what === "toggle") control.checked = !control.checked;
      C.announce(r.error.message, "bad", note);
    } else if (what === "toggle") {
      C.announce(`${control.checked ? "Enabled" : "Disabled"}: ${sentence}`, "ok");
    } else if (what === "delete") {
      C.announce(`Deleted: ${sentence}`, "ok");
    } else if (what === "revert") {
      C.announce(`Back to its labels: ${sentence}`, "ok");
    } else {
      const log = r.data.log;
      const kind = log.status === "success" ? "ok" : log.status === "error" ? "bad" : "info";
      C.announce(`${cap(action)} ${container}: ${log.status}${log.message ? ` — ${log.message}` : ""}`, kind, note);
    }
    C.refresh(0);
  }
  const schedules = $("#schedules");
  if (schedules) {
    schedules.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-sch]");
      const row = button && button.closest(".sch");
      if (row) scheduleAction(row, button.getAttribute("data-sch"), button);
    });
    schedules.addEventListener("change", (e) => {
      const box = e.target.closest("input[data-sch=toggle]");
      const row = box && box.closest(".sch");
      if (row) scheduleAction(row, "toggle", box);
    });
  }

  // ---- time zones: a wall-clock time in a named zone ↔ an instant
  function zoneParts(date, tz) {
    const parts = {};
    const format = new Intl.DateTimeFormat("en-US", {
      timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    });
    for (const p of format.formatToParts(date)) parts[p.type] = p.value;
    return parts;
  }
  function offset(ms, tz) {
    const p = zoneParts(new Date(ms), tz);
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
  }
  function wallToInstant(value, tz) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value);
    if (!m) return null;
    const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
    let ms = wall - offset(wall, tz);
    ms = wall - offset(ms, tz);
    return new Date(ms);
  }
  function instantToWall(iso, tz) {
    const p = zoneParts(new Date(iso), tz);
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
  }
  function formatIn(date, tz) {
    return new Intl.DateTimeFormat("en-GB", {
      timeZone: tz, weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    }).format(date);
  }
  function validZone(tz) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return true;
    } catch (e) {
      return false;
    }
  }
  const zoneList = $("#timezones");
  if (zoneList && Intl.supportedValuesOf) {
    const have = new Set(Array.from(zoneList.options, (o) => o.value));
    for (const tz of Intl.supportedValuesOf("timeZone")) {
      if (have.has(tz)) continue;
      const option = document.createElement("option");
      option.value = tz;
      zoneList.append(option);
    }
  }

  // ---- the schedule form
  const dialog = $("#schedule-dialog");
  const form = $("#schedule-form");
  if (!dialog || !form) return;
  const field = (name) => $(`#sf-${name}`);
  const defaultTz = form.getAttribute("data-default-tz") || "UTC";
  const preview = $("#sf-preview");
  const FIELDS = ["steps", "container", "action", "cron", "run-at", "window-from", "window-to", "window-days", "timezone", "only-if", "description"];
  let editing = null; // the schedule row being edited
  let opener = null;

  function kind() {
    return field("kind-window").checked ? "window" : field("kind-once").checked ? "once" : "cron";
  }
  function showKind() {
    $("#sf-cron-group").hidden = kind() !== "cron";
    $("#sf-once-group").hidden = kind() !== "once";
    $("#sf-window-group").hidden = kind() !== "window";
    // a window's action follows from the state it keeps
    field("action").disabled = kind() === "window";
  }
  // ---- steps mode: a chain of ordered steps, each its own target, action and wait
  const stepsList = $("#sf-steps");
  const stepTemplate = $("#sf-step-template");
  const chainSentence = $("#sf-chain-sentence");
  const stepsMode = () => field("mode-steps").checked;
  function showMode() {
    const steps = stepsMode();
    field("steps-group").hidden = !steps;
    for (const name of ["container-group", "action-group", "autoheal-group"]) field(name).hidden = steps;
    // a window keeps one container
    field("kind-window").disabled = steps;
    if (steps && kind() === "window") {
      field("kind-cron").checked = true;
      showKind();
      updatePreview(0);
    }
    chainSentence.hidden = !steps;
    updateDependents(0);
    renderChain();
  }
  function stepRowChanged(li) {
    const k = $(".step-kind", li).value;
    const name = $(".step-name", li);
    if (k === "service") name.removeAttribute("list");
    else name.setAttribute("list", k === "stack" ? "stack-names" : "container-names");
    $(".step-timeout", li).disabled = $(".step-wait", li).value === "none";
  }
  function addStep(step = {}) {
    const li = stepTemplate.content.firstElementChild.cloneNode(true);
    $(".step-kind", li).value = step.stack ? "stack" : step.service ? "service" : "container";
    $(".step-name", li).value = step.stack || step.service || step.container || "";
    $(".step-action", li).value = step.action || "restart";
    $(".step-wait", li).value = step.wait || "none";
    $(".step-timeout", li).value = String(step.timeout_s || 60);
    li.dataset.host = step.host || formHost;
    if (step.with_dependents) li.dataset.withDependents = "true";
    stepsList.append(li);
    stepRowChanged(li);
    return li;
  }
  // the steps as the API takes them, in the order shown
  function stepsBody() {
    return $$(".step", stepsList).map((li) => {
      const k = $(".step-kind", li).value;
      const s = { [k]: $(".step-name", li).value.trim(), action: $(".step-action", li).value, wait: $(".step-wait", li).value };
      if (s.wait !== "none") s.timeout_s = Number($(".step-timeout", li).value);
      if (li.dataset.host && li.dataset.host !== "local") s.host = li.dataset.host;
      if (li.dataset.withDependents && k === "container" && s.action === "restart") s.with_dependents = true;
      return s;
    });
  }
  const stepName = (s) => s.container || s.stack || s.service;
  // the words of the dashboard's sentence (ChainStep::describe)
  function describeStep(s) {
    let what = s.stack ? `stack ${s.stack}` : s.service ? `service ${s.service}` : s.container;
    if (s.host && s.host !== "local") what += ` on ${s.host}`;
    if (s.with_dependents) what += " and its dependents";
    return s.wait === "none" ? `${s.action} ${what}` : `${s.action} ${what}, wait until ${s.wait} (at most ${s.timeout_s} s)`;
  }
  function renderChain() {
    const rows = $$(".step", stepsList);
    rows.forEach((li, i) => {
      for (const el of $$("[aria-label]", li)) {
        const label = el.getAttribute("aria-label").replace(/^Step \d+: /, "");
        el.setAttribute("aria-label", `Step ${i + 1}: ${label}`);
      }
      $("[data-step=up]", li).disabled = i === 0;
      $("[data-step=down]", li).disabled = i === rows.length - 1;
    });
    if (!stepsMode()) return;
    const steps = stepsBody().filter(stepName);
    chainSentence.textContent = steps.length ? `Chain: ${steps.map(describeStep).join(", then ")}` : "Add the first step.";
  }
  function stepsChanged(e) {
    const li = e.target.closest(".step");
    if (li) stepRowChanged(li);
    setError("steps", "");
    renderChain();
  }
  stepsList.addEventListener("input", stepsChanged);
  stepsList.addEventListener("change", stepsChanged);
  stepsList.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-step]");
    const li = button && button.closest(".step");
    if (!li) return;
    const what = button.getAttribute("data-step");
    const next = li.nextElementSibling || li.previousElementSibling;
    if (what === "up" && li.previousElementSibling) li.previousElementSibling.before(li);
    if (what === "down" && li.nextElementSibling) li.nextElementSibling.after(li);
    if (what === "remove") li.remove();
    renderChain();
    if (what !== "remove") button.disabled ? $(".step-name", li).focus() : button.focus();
    else (next ? $(".step-name", next) : field("add-step")).focus();
  });
  field("add-step").addEventListener("click", () => {
    const li = addStep();
    renderChain();
    $(".step-name", li).focus();
  });
  for (const radio of [field("mode-one"), field("mode-steps")]) radio.addEventListener("change", showMode);
  async function loadSteps(id) {
    const r = await C.api("GET", `/api/schedules/${id}`);
    if (!r.ok) return showApiError(r.error);
    for (const step of r.data.steps || []) addStep(step);
    renderChain();
  }

  function windowBody(tz) {
    const days = field("window-days").value.trim();
    const w = { state: field("window-state").value, from: field("window-from").value, to: field("window-to").value, timezone: tz };
    if (days && days !== "*") w.days = days;
    return w;
  }
  function setError(name, message) {
    const el = $(`#sf-${name}-error`);
    const input = field(name);
    if (!el) return;
    el.textContent = message || "";
    el.hidden = !message;
    if (input) input.toggleAttribute("aria-invalid", !!message);
  }
  function clearErrors() {
    for (const name of FIELDS) setError(name, "");
    const general = $("#sf-error");
    general.hidden = true;
    general.textContent = "";
  }
  function showApiError(error) {
    const byField = { expr: "cron", tz: "timezone", run_at: "run-at", only_if: "only-if", "window.from": "window-from", "window.to": "window-to", "window.days": "window-days", from: "window-from", to: "window-to", days: "window-days" };
    const byCode = { container_not_found: "container", invalid_cron: "cron", invalid_timezone: "timezone", invalid_run_at: "run-at", invalid_only_if: "only-if" };
    let name = byField[error.field] || error.field || byCode[error.code];
    if (name === "cron" && kind() === "once") name = "run-at";
    // in steps mode a step's container, stack, action, wait or timeout is the steps' error
    const outer = ["cron", "run-at", "timezone", "description", "only-if"];
    if (stepsMode() && (name || /_not_found$/.test(error.code || "")) && !outer.includes(name)) name = "steps";
    if (name && FIELDS.includes(name)) {
      setError(name, error.message);
      (name === "steps" ? $(".step-name", stepsList) || field("add-step") : field(name)).focus();
    } else {
      const general = $("#sf-error");
      general.textContent = error.message;
      general.hidden = false;
    }
  }

  let formHost = "local";
  function openForm(row, containerName, host) {
    editing = row || null;
    formHost = (row ? row.getAttribute("data-host") : host) || "local";
    opener = document.activeElement;
    form.reset();
    clearErrors();
    preview.replaceChildren();
    const get = (name) => (row ? row.getAttribute(`data-${name}`) || "" : "");
    $("#sf-title").textContent = row ? "Edit schedule" : "New schedule";
    field("submit").textContent = row ? "Save changes" : "Save schedule";
    field("container").value = row ? get("container") : containerName || "";
    field("action").value = row ? get("action") : "restart";
    const tz = row ? get("timezone") : defaultTz;
    field("timezone").value = tz;
    field("description").value = get("description");
    field("enabled").checked = row ? get("enabled") === "true" : true;
    const runAt = get("run-at");
    const windowState = get("window-state");
    field("kind-window").checked = !!windowState;
    field("kind-once").checked = !!runAt && !windowState;
    field("kind-cron").checked = !runAt && !windowState;
    if (windowState) {
      field("window-state").value = windowState;
      field("window-from").value = get("window-from");
      field("window-to").value = get("window-to");
      field("window-days").value = get("window-days") || "*";
    }
    field("only-if").value = get("only-if");
    updateDependents(0);
    field("respect-manual").checked = row ? get("respect-manual") !== "false" : true;
    autoheal = null;
    field("autoheal").checked = false;
    loadAutoheal(field("container").value.trim());
    field("cron").value = row ? get("cron") : "0 3 * * *";
    field("run-at").value = runAt && validZone(tz) ? instantToWall(runAt, tz) : "";
    stepsList.replaceChildren();
    const chain = !!row && get("chain") === "true";
    field("mode-steps").checked = chain;
    if (chain) loadSteps(get("id"));
    showKind();
    showMode();
    dialog.showModal();
    (chain ? field("add-step") : containerName && !row ? field("action") : field("container")).focus();
    updatePreview();
  }
  dialog.addEventListener("close", () => C.refocus(opener, opener && opener.id));
  field("cancel").addEventListener("click", () => dialog.close());
  $("#new-schedule").addEventListener("click", () => openForm(null));
  // the autoheal rule set, as read when the form opened (null until then)
  let autoheal = null;
  async function loadAutoheal(name) {
    const r = await C.api("GET", "/api/autoheal");
    if (!r.ok) return;
    autoheal = r.data;
    const entry = autoheal.containers.find((c) => c.host === "local" && c.container === name);
    field("autoheal").checked = !!(autoheal.enabled && entry && entry.enabled);
  }
  async function saveAutoheal(name) {
    if (!autoheal) return true;
    const want = field("autoheal").checked;
    const others = autoheal.containers.filter((c) => !(c.host === "local" && c.container === name));
    const entry = autoheal.containers.find((c) => c.host === "local" && c.container === name);
    if (want === !!(autoheal.enabled && entry && entry.enabled)) return true;
    const containers = want ? [...others, { host: "local", container: name, enabled: true }] : others;
    const r = await C.api("PUT", "/api/autoheal", { ...autoheal, enabled: autoheal.enabled || want, containers });
    if (!r.ok) showApiError(r.error);
    return r.ok;
  }
  for (const radio of [field("kind-cron"), field("kind-once"), field("kind-window")]) {
    radio.addEventListener("change", () => {
      showKind();
      updatePreview();
      updateDependents(0);
    });
  }
  for (const preset of $$("[data-preset]", form)) {
    preset.addEventListener("click", () => {
      field("cron").value = preset.getAttribute("data-preset");
      updatePreview(0);
    });
  }
  // "also restart N dependents": a new restart of a container that others restart with
  let dependentsTimer = null;
  let dependentsAsked = 0;
  function updateDependents(delay = 300) {
    const group = field("dependents-group");
    clearTimeout(dependentsTimer);
    const name = field("container").value.trim();
    if (editing || stepsMode() || kind() === "window" || field("action").value !== "restart" || !name) {
      group.hidden = true;
      field("with-dependents").checked = false;
      return;
    }
    dependentsTimer = setTimeout(async () => {
      const asked = ++dependentsAsked;
      const host = encodeURIComponent(formHost);
      const r = await C.api("GET", `/api/containers/${encodeURIComponent(name)}/dependents?host=${host}`);
      if (asked !== dependentsAsked) return;
      const deps = r.ok && r.data ? r.data.dependents : [];
      const n = deps.length;
      group.hidden = !n;
      if (!n) field("with-dependents").checked = false;
      field("dependents-label").textContent = `Also restart ${n} dependent${n > 1 ? "s" : ""} (${deps.join(", ")})`;
    }, delay);
  }
  field("container").addEventListener("input", () => updateDependents());
  field("action").addEventListener("change", () => updateDependents(0));
  field("cron").addEventListener("input", () => updatePreview());
  field("timezone").addEventListener("input", () => updatePreview());
  field("run-at").addEventListener("input", () => updatePreview(0));
  for (const name of ["window-state", "window-from", "window-to", "window-days"]) {
    field(name).addEventListener("input", () => updatePreview());
  }
  field("container").addEventListener("input", () => setError("container", ""));

  let previewTimer = null;
  let previewSeq = 0;
  function updatePreview(delay = 250) {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(renderPreview, delay);
  }
  function previewLine(text, cls) {
    const p = document.createElement("p");
    if (cls) p.className = cls;
    p.textContent = text;
    return p;
  }
  async function renderPreview() {
    const seq = ++previewSeq;
    const tz = field("timezone").value.trim() || defaultTz;
    if (kind() === "once") {
      setError("cron", "");
      if (!validZone(tz)) {
        setError("timezone", `${tz} is not a time zone this browser knows`);
        return preview.replaceChildren();
      }
      setError("timezone", "");
      const at = wallToInstant(field("run-at").value, tz);
      if (!at) return preview.replaceChildren();
      const past = at.getTime() <= Date.now();
      setError("run-at", past ? "This time is in the past." : "");
      return preview.replaceChildren(
        previewLine(`Runs once: ${formatIn(at, tz)} (${tz})`),
        previewLine(`${C.relative(at)} · ${at.toISOString().replace(/\.\d{3}Z$/, "Z")}`, "muted"),
      );
    }
    if (kind() === "window") return renderWindowPreview(seq, tz);
    const expr = field("cron").value.trim();
    if (!expr) {
      setError("cron", "");
      return preview.replaceChildren();
    }
    const url = `/api/cron/preview?expr=${encodeURIComponent(expr)}&tz=${encodeURIComponent(tz)}&count=5`;
    const r = await C.api("GET", url);
    if (seq !== previewSeq) return; // the user typed on
    if (!r.ok) {
      preview.replaceChildren();
      const error = r.error;
      const name = error.field === "timezone" || error.field === "tz" || error.code === "invalid_timezone" ? "timezone" : "cron";
      setError(name === "cron" ? "timezone" : "cron", "");
      setError(name, error.message);
      return;
    }
    setError("cron", "");
    setError("timezone", "");
    const zone = r.data.timezone || tz;
    const list = document.createElement("ol");
    for (const iso of r.data.next || []) {
      const date = new Date(iso);
      const li = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = iso;
      time.textContent = validZone(zone) ? formatIn(date, zone) : iso;
      li.append(time, ` (${C.relative(date)})`);
      list.append(li);
    }
    const parts = [previewLine(r.data.description || expr, "preview-description")];
    if (list.children.length) parts.push(previewLine(`Next runs (${zone}):`, "muted small"), list);
    else parts.push(previewLine("This expression never fires.", "field-error"));
    preview.replaceChildren(...parts);
  }

  // the window in words and its next boundaries, from the server (daylight saving as in CRON.md)
  async function renderWindowPreview(seq, tz) {
    const w = windowBody(tz);
    const q = new URLSearchParams({ state: w.state, from: w.from, to: w.to, days: w.days || "*", tz, count: "4" });
    const r = await C.api("GET", `/api/windows/preview?${q}`);
    if (seq !== previewSeq) return;
    for (const name of ["window-from", "window-to", "window-days", "timezone"]) setError(name, "");
    if (!r.ok) {
      preview.replaceChildren();
      return showApiError(r.error.field === "tz" ? { ...r.error, field: "timezone" } : r.error);
    }
    const zone = r.data.timezone || tz;
    const list = document.createElement("ol");
    for (const b of r.data.next || []) {
      const date = new Date(b.at);
      const li = document.createElement("li");
      const time = document.createElement("time");
      time.dateTime = b.at;
      time.textContent = validZone(zone) ? formatIn(date, zone) : b.at;
      li.append(b.starts ? "starts " : "ends ", time, ` (${C.relative(date)})`);
      list.append(li);
    }
    preview.replaceChildren(
      previewLine(`Kept ${r.data.description.replace(/^(stopped|paused) ?/, "$1 ")}`, "preview-description"),
      previewLine(`Next changes (${zone}):`, "muted small"),
      list,
    );
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors();
    const get = (name) => field(name).value.trim();
    const old = (name) => (editing ? editing.getAttribute(`data-${name}`) || "" : null);
    const tz = get("timezone") || defaultTz;
    const body = { timezone: tz, enabled: field("enabled").checked, description: get("description") };
    if (kind() !== "window" && !stepsMode()) body.action = get("action");
    const onlyIf = field("only-if").value;
    if (!editing || onlyIf !== old("only-if")) body.only_if = onlyIf || null;
    body.respect_manual = field("respect-manual").checked;
    if (stepsMode()) {
      const steps = stepsBody();
      if (!steps.length) return showApiError({ field: "steps", message: "Add a step." });
      const blank = steps.findIndex((s) => !stepName(s));
      if (blank >= 0) return showApiError({ field: "steps", message: `Step ${blank + 1}: name its container, stack or service.` });
      body.steps = steps;
      if (formHost !== "local") body.host = formHost;
    } else {
      if (!get("container")) return showApiError({ field: "container", message: "Choose a container." });
      if (!editing || get("container") !== old("container")) body.container = get("container");
      if (formHost !== "local" && body.container) body.host = formHost;
    }
    if (!editing && !field("dependents-group").hidden && field("with-dependents").checked) body.with_dependents = true;
    if (kind() === "cron") {
      if (!get("cron")) return showApiError({ field: "cron", message: "Type a cron expression or pick a preset." });
      if (!editing || get("cron") !== old("cron")) body.cron = get("cron");
    } else if (kind() === "window") {
      if (!get("window-from")) return showApiError({ field: "window-from", message: "Choose when it starts." });
      if (!get("window-to")) return showApiError({ field: "window-to", message: "Choose when it ends." });
      body.window = windowBody(tz);
    } else {
      if (!validZone(tz)) return showApiError({ field: "timezone", message: `${tz} is not a time zone this browser knows.` });
      const at = wallToInstant(field("run-at").value, tz);
      if (!at) return showApiError({ field: "run_at", message: "Choose a date and a time." });
      const iso = at.toISOString().replace(/\.\d{3}Z$/, "Z");
      if (!editing || iso !== old("run-at")) body.run_at = iso;
    }
    const submit = field("submit");
    submit.disabled = true;
    const r = editing
      ? await C.api("PATCH", `/api/schedules/${editing.getAttribute("data-id")}`, body)
      : await C.api("POST", "/api/schedules", body);
    submit.disabled = false;
    if (!r.ok) return showApiError(r.error);
    const s = r.data;
    if (!stepsMode() && !(await saveAutoheal(s.container))) return;
    const what = s.steps ? `chain of ${s.steps.length} step${s.steps.length > 1 ? "s" : ""}` : `${cap(s.action)} ${s.container}`;
    C.announce(`${editing ? "Saved" : "Created"}: ${what} (${s.cron || (s.window ? `window ${s.window.from}–${s.window.to}` : "once")}, ${s.timezone})`, "ok");
    dialog.close();
    C.refresh(0);
  });
})();
