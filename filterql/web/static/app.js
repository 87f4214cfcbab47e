// The filterql page: a filter editor with live diagnostics, the matching runs, a trace, a thread.
// Plain JavaScript over the server's own API: the LangSmith endpoints the SDK uses
// (/sessions, /runs/query, /runs/{id}, /api/v2/threads/{id}/traces) and the editor's
// endpoints (/filterql/check, /catalog, /format, /explain, /code).
"use strict";

// The filter inputs: name, what the filter is tested on, a placeholder.
const EDITORS = [
  ["filter", "each run", 'and(eq(run_type, "llm"), gt(latency, "1s"))'],
  ["trace_filter", "the trace's root run", ""],
  ["tree_filter", "any run of the trace", ""],
];
const FILTERS = EDITORS.map(([name]) => name);
const QUICK = ["project", "is_root", "run_type", "error", "start_time", "limit", "profile"];
const RUN_SELECT = ["id", "name", "run_type", "status", "start_time", "end_time", "total_tokens",
  "total_cost", "tags", "error", "trace_id", "parent_run_id"];
const THREAD_SELECT = ["TRACE_ID", "TURN_NUMBER", "NAME", "START_TIME", "LATENCY", "TOTAL_TOKENS",
  "INPUTS_PREVIEW", "OUTPUTS_PREVIEW", "ERROR_PREVIEW"];
const CHECK_DELAY_MS = 250;

const $ = (sel, root = document) => root.querySelector(sel);
const form = $("#query-form");
const state = {
  catalog: null, projects: [], valid: {}, cursors: [null], page: 0, next: null,
  runId: null, threadId: null, threadCursor: null, seq: 0,
};

// ------------------------------------------------------------------ HTTP

class ServerError extends Error {}

async function api(path, options = {}) {
  const headers = { "Accept": "application/json", ...(options.headers || {}) };
  const key = sessionStorage.getItem("filterql-api-key");
  if (key) headers["X-API-Key"] = key;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, { ...options, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  } catch (e) {
    throw new ServerError(`The server cannot be reached (${e.message}).`);
  }
  let data = null;
  const text = await response.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (response.status === 401 || response.status === 403) {
    const entered = window.prompt("This server needs its API key (filterql serve --api-key):");
    if (entered) { sessionStorage.setItem("filterql-api-key", entered); return api(path, options); }
  }
  if (!response.ok) throw new ServerError(describeError(response.status, data, text));
  return data;
}

function describeError(status, data, text) {
  const detail = data && data.detail !== undefined ? data.detail : null;
  if (detail && typeof detail === "object") {
    const lines = [detail.message || `HTTP ${status}`];
    for (const d of detail.diagnostics || []) {
      lines.push(`${d.line ? `line ${d.line}, column ${d.column}: ` : ""}${d.code}: ${d.message}${d.hint ? `\n  hint: ${d.hint}` : ""}`);
    }
    return lines.join("\n");
  }
  if (typeof detail === "string") return detail;
  if (status >= 500) return `The server could not answer (HTTP ${status}). Its log has the details.`;
  return `HTTP ${status}${text && text.length < 300 ? `: ${text}` : ""}`;
}

function showMessage(text) {
  const el = $("#message");
  el.textContent = text || "";
  el.hidden = !text;
}

// ------------------------------------------------------------------ URL

function readURL() {
  const params = new URLSearchParams(location.search);
  for (const name of [...FILTERS, ...QUICK]) {
    const el = form.elements[name];
    if (el && params.has(name)) el.value = params.get(name);
  }
  state.cursors = [null];
  if (params.get("cursor")) state.cursors.push(params.get("cursor"));
  state.page = state.cursors.length - 1;
  state.runId = params.get("run");
  state.threadId = params.get("thread");
}

function writeURL(push = false) {
  const params = new URLSearchParams();
  for (const name of [...FILTERS, ...QUICK]) {
    const value = form.elements[name].value;
    if (value && !(name === "profile" && value === "offline") && !(name === "limit" && value === "25")) params.set(name, value);
  }
  if (state.cursors[state.page]) params.set("cursor", state.cursors[state.page]);
  if (state.runId) params.set("run", state.runId);
  if (state.threadId) params.set("thread", state.threadId);
  const url = `${location.pathname}${params.toString() ? "?" + params : ""}`;
  if (url !== location.pathname + location.search) history[push ? "pushState" : "replaceState"](null, "", url);
}

// ------------------------------------------------------------------ editor

function buildEditors() {
  const template = $("#editor-template");
  for (const [name, what, placeholder] of EDITORS) {
    const field = template.content.firstElementChild.cloneNode(true);
    field.dataset.name = name;
    const label = $("label", field), textarea = $("textarea", field), complete = $(".complete", field);
    label.htmlFor = `in-${name}`;
    $(".name", label).textContent = name;
    $(".muted", label).textContent = what;
    Object.assign(textarea, { id: `in-${name}`, name, placeholder, rows: name === "filter" ? 2 : 1 });
    complete.id = `complete-${name}`;
    textarea.setAttribute("aria-controls", complete.id);
    $(".editors").append(field);
  }
}

function editorOf(name) {
  const field = $(`.editor-field[data-name="${name}"]`);
  return { field, textarea: $("textarea", field), backdrop: $(".backdrop", field),
    list: $(".diagnostics", field), complete: $(".complete", field), box: $(".editor", field) };
}

function escapeHTML(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function paintUnderlines(name, diagnostics) {
  const { textarea, backdrop } = editorOf(name);
  const text = textarea.value;
  const spans = diagnostics.filter((d) => d.line > 0).map((d) => ({ ...d, start: Math.min(d.start, text.length), end: Math.min(d.end, text.length) }))
    .sort((a, b) => a.start - b.start);
  let html = "", at = 0;
  for (const d of spans) {
    if (d.start < at) continue; // overlapping findings: the first one is underlined
    const title = `${d.code}: ${d.message}${d.hint ? "\nhint: " + d.hint : ""}`;
    html += escapeHTML(text.slice(at, d.start));
    const inner = text.slice(d.start, d.end);
    html += `<mark class="${d.severity}${inner ? "" : " empty"}" title="${escapeHTML(title)}" data-start="${d.start}">${escapeHTML(inner)}</mark>`;
    at = Math.max(d.end, d.start);
  }
  backdrop.innerHTML = html + escapeHTML(text.slice(at)) + "\n";
  backdrop.scrollTop = textarea.scrollTop;
}

function renderDiagnostics(name, diagnostics) {
  const { list, box, textarea } = editorOf(name);
  list.replaceChildren();
  box.classList.toggle("invalid", diagnostics.some((d) => d.severity === "error"));
  for (const d of diagnostics) {
    const li = document.createElement("li");
    li.className = d.severity;
    li.dataset.code = d.code;
    const where = d.line ? `line ${d.line}, column ${d.column}: ` : "";
    li.innerHTML = `<span class="sev">${escapeHTML(d.severity)}[${escapeHTML(d.code)}]</span> ${escapeHTML(where + d.message)}`;
    for (const s of d.suggestions || []) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "suggestion";
      button.textContent = s.label;
      button.title = `replace with ${s.text}`;
      button.addEventListener("click", () => {
        textarea.value = textarea.value.slice(0, s.start) + s.text + textarea.value.slice(s.end);
        textarea.focus();
        textarea.setSelectionRange(s.start + s.text.length, s.start + s.text.length);
        onEdit(name);
      });
      li.append(button);
    }
    if (d.hint) {
      const hint = document.createElement("span");
      hint.className = "hint";
      hint.textContent = `hint: ${d.hint}`;
      li.append(hint);
    }
    list.append(li);
  }
  paintUnderlines(name, diagnostics);
}

const timers = {};
function debounce(key, fn, ms = CHECK_DELAY_MS) {
  clearTimeout(timers[key]);
  timers[key] = setTimeout(fn, ms);
}

async function checkFilter(name) {
  const text = editorOf(name).textarea.value;
  if (!text.trim()) {
    state.valid[name] = true;
    renderDiagnostics(name, []);
    return true;
  }
  try {
    const result = await api("/filterql/check", { method: "POST", body: { filter: text, context: name, profile: form.elements.profile.value } });
    if (editorOf(name).textarea.value !== text) return false; // typed on meanwhile: a newer check follows
    state.valid[name] = result.valid;
    renderDiagnostics(name, result.diagnostics);
    return result.valid;
  } catch (e) {
    showMessage(e.message);
    return false;
  }
}

function onEdit(name) {
  paintUnderlines(name, []);
  state.valid[name] = false;
  debounce(`check-${name}`, async () => {
    if (await checkFilter(name)) {
      if (FILTERS.every((f) => state.valid[f] !== false)) runQuery(true);
      if ($("#explain").checked) explain();
    }
  });
}

// ---------------------------------------------------------- completion

function completionWord(textarea) {
  const upto = textarea.value.slice(0, textarea.selectionStart);
  const quotes = (upto.match(/(?<!\\)"/g) || []).length + (upto.match(/(?<!\\)'/g) || []).length;
  if (quotes % 2) return null; // inside a string literal
  const m = upto.match(/[A-Za-z_][A-Za-z0-9_]*$/);
  return m ? { word: m[0], start: upto.length - m[0].length } : null;
}

function completionsFor(name, word) {
  if (!state.catalog) return [];
  const w = word.toLowerCase();
  const functions = state.catalog.functions.filter((f) => f.name.startsWith(w)).map((f) => ({ text: f.name, note: f.signature, call: true }));
  const fields = state.catalog.fields.filter((f) => f.name.startsWith(w) && f.contexts.includes(name))
    .map((f) => ({ text: f.name, note: f.type }));
  return [...functions, ...fields].filter((c) => c.text !== word).slice(0, 12);
}

function closeCompletion(name) {
  const { complete, textarea } = editorOf(name);
  complete.hidden = true;
  complete.replaceChildren();
  textarea.setAttribute("aria-expanded", "false");
  textarea.removeAttribute("aria-activedescendant");
}

function openCompletion(name) {
  const { complete, textarea } = editorOf(name);
  const at = completionWord(textarea);
  const items = at ? completionsFor(name, at.word) : [];
  if (!items.length) return closeCompletion(name);
  complete.replaceChildren(...items.map((c, i) => {
    const li = document.createElement("li");
    li.id = `complete-${name}-${i}`;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", i === 0 ? "true" : "false");
    li.dataset.text = c.text + (c.call ? "(" : "");
    li.innerHTML = `<span>${escapeHTML(c.text)}</span><small>${escapeHTML(c.note)}</small>`;
    li.addEventListener("mousedown", (e) => { e.preventDefault(); acceptCompletion(name, li); });
    return li;
  }));
  complete.hidden = false;
  textarea.setAttribute("aria-expanded", "true");
  textarea.setAttribute("aria-activedescendant", `complete-${name}-0`);
}

function moveCompletion(name, delta) {
  const { complete, textarea } = editorOf(name);
  const items = [...complete.children];
  const current = items.findIndex((li) => li.getAttribute("aria-selected") === "true");
  const next = (current + delta + items.length) % items.length;
  items.forEach((li, i) => li.setAttribute("aria-selected", i === next ? "true" : "false"));
  textarea.setAttribute("aria-activedescendant", items[next].id);
  items[next].scrollIntoView({ block: "nearest" });
}

function acceptCompletion(name, li) {
  const { textarea } = editorOf(name);
  const at = completionWord(textarea);
  if (!at) return closeCompletion(name);
  const text = li.dataset.text;
  const end = textarea.selectionStart;
  textarea.value = textarea.value.slice(0, at.start) + text + textarea.value.slice(end);
  const caret = at.start + text.length;
  textarea.setSelectionRange(caret, caret);
  closeCompletion(name);
  onEdit(name);
}

function wireEditor(name) {
  const { textarea, backdrop, complete } = editorOf(name);
  textarea.addEventListener("input", () => { onEdit(name); openCompletion(name); });
  textarea.addEventListener("scroll", () => { backdrop.scrollTop = textarea.scrollTop; });
  textarea.addEventListener("blur", () => setTimeout(() => closeCompletion(name), 100));
  textarea.addEventListener("keydown", (e) => {
    const open = !complete.hidden;
    if (open && (e.key === "ArrowDown" || e.key === "ArrowUp")) { e.preventDefault(); moveCompletion(name, e.key === "ArrowDown" ? 1 : -1); return; }
    if (open && (e.key === "Enter" || e.key === "Tab") && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      acceptCompletion(name, $('[aria-selected="true"]', complete));
      return;
    }
    if (open && e.key === "Escape") { e.preventDefault(); closeCompletion(name); return; }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  backdrop.addEventListener("click", (e) => {
    const mark = e.target.closest("mark");
    if (!mark) return;
    textarea.focus();
    const at = Number(mark.dataset.start);
    textarea.setSelectionRange(at, at);
  });
}

// ------------------------------------------------------------------ runs

function queryArguments() {
  const body = { limit: pageSize(), select: RUN_SELECT };
  const project = form.elements.project.value;
  body.session = project ? [project] : state.projects.map((p) => p.id);
  for (const name of FILTERS) if (form.elements[name].value.trim()) body[name] = form.elements[name].value;
  for (const name of ["is_root", "error"]) if (form.elements[name].value) body[name] = form.elements[name].value === "true";
  if (form.elements.run_type.value) body.run_type = form.elements.run_type.value;
  if (form.elements.start_time.value) body.start_time = new Date(form.elements.start_time.value + "Z").toISOString();
  return body;
}

function pageSize() {
  return Number(form.elements.limit.value) || 25;
}

function formatLatency(run) {
  if (!run.end_time || !run.start_time) return "";
  const seconds = (Date.parse(run.end_time) - Date.parse(run.start_time)) / 1000;
  return Number.isFinite(seconds) ? `${seconds.toFixed(seconds < 10 ? 2 : 1)} s` : "";
}

function shortTime(iso) {
  return iso ? iso.replace("T", " ").replace(/(\.\d+)?(Z|[+-]\d\d:\d\d)?$/, "") : "";
}

function cell(text, cls) {
  const td = document.createElement("td");
  if (cls) td.className = cls;
  td.textContent = text == null ? "" : String(text);
  return td;
}

function renderRuns(runs) {
  const tbody = $("#runs tbody");
  tbody.replaceChildren(...runs.map((run) => {
    const tr = document.createElement("tr");
    tr.tabIndex = 0;
    tr.dataset.id = run.id;
    tr.dataset.trace = run.trace_id || run.id;
    tr.classList.toggle("selected", run.id === state.runId);
    const tags = document.createElement("td");
    for (const t of run.tags || []) { const s = document.createElement("span"); s.className = "tag"; s.textContent = t; tags.append(s); }
    const status = cell(run.status, `status-${run.status}`);
    const error = cell(run.error ? run.error.slice(0, 120) : "", "err");
    if (run.error) error.title = run.error;
    tr.append(cell(run.name), cell(run.run_type), status, cell(shortTime(run.start_time)),
      cell(formatLatency(run), "num"), cell(run.total_tokens, "num"),
      cell(run.total_cost == null ? "" : Number(run.total_cost).toFixed(4), "num"), tags, error);
    const open = () => openTrace(run.trace_id || run.id, run.id, true);
    tr.addEventListener("click", open);
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); open(); } });
    return tr;
  }));
}

async function runQuery(reset) {
  if (reset) { state.cursors = [null]; state.page = 0; }
  const seq = ++state.seq;
  const body = { ...queryArguments(), cursor: state.cursors[state.page] || undefined };
  try {
    const data = await api("/runs/query", { method: "POST", body });
    if (seq !== state.seq) return; // a newer query is on its way
    showMessage("");
    state.next = data.cursors && data.cursors.next;
    renderRuns(data.runs || []);
    const first = state.page * pageSize() + 1;
    $("#count").textContent = data.runs.length ? `runs ${first}–${first + data.runs.length - 1}` : (state.page ? "no more runs" : "no runs match");
    $("#next").disabled = !state.next;
    $("#prev").disabled = state.page === 0;
    $("#first").disabled = state.page === 0;
    writeURL();
    if ($("#code").hidden === false) showCode();
  } catch (e) {
    if (seq === state.seq) showMessage(e.message);
  }
}

// ---------------------------------------------------------------- trace

function jsonNode(value, key) {
  const li = document.createElement("li");
  const label = key === undefined ? "" : `<span class="key">${escapeHTML(JSON.stringify(key))}</span>: `;
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    const details = document.createElement("details");
    details.open = entries.length <= 6;
    details.innerHTML = `<summary>${label}${Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`}</summary>`;
    const ul = document.createElement("ul");
    ul.className = "json-tree";
    ul.append(...entries.map(([k, v]) => jsonNode(v, Array.isArray(value) ? undefined : k)));
    details.append(ul);
    li.append(details);
  } else {
    const cls = typeof value === "string" ? "str" : typeof value === "number" ? "num" : "lit";
    li.innerHTML = `${label}<span class="${cls}">${escapeHTML(JSON.stringify(value))}</span>`;
  }
  return li;
}

function jsonSection(title, value, open) {
  const details = document.createElement("details");
  details.className = "json";
  details.open = open;
  const summary = document.createElement("summary");
  summary.textContent = title;
  const ul = document.createElement("ul");
  ul.className = "json-tree";
  ul.append(jsonNode(value));
  details.append(summary, ul);
  return details;
}

async function showRun(runId) {
  state.runId = runId;
  for (const li of $("#tree").children) li.setAttribute("aria-selected", li.dataset.id === runId ? "true" : "false");
  for (const tr of $("#runs tbody").children) tr.classList.toggle("selected", tr.dataset.id === runId);
  writeURL();
  const box = $("#run-detail");
  try {
    const run = await fetchRun(runId);
    const metadata = (run.extra && run.extra.metadata) || {};
    const h = document.createElement("h3");
    h.textContent = `${run.name} (${run.run_type})`;
    box.replaceChildren(h,
      jsonSection("inputs", run.inputs ?? null, true),
      jsonSection("outputs", run.outputs ?? null, true),
      jsonSection("metadata", metadata, false),
      jsonSection("feedback", run.feedback_stats ?? null, false),
      jsonSection("error", run.error ?? null, Boolean(run.error)));
    const thread = run.thread_id;
    const link = $("#thread-link");
    link.replaceChildren();
    if (thread && !run.parent_run_id) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = `Open thread ${thread}`;
      b.addEventListener("click", () => openThread(String(thread), run.session_id, true));
      link.append(b);
    }
  } catch (e) {
    box.textContent = e.message;
  }
}

// One run with the fields the detail shows; thread_id is derived by the server (SPEC §4).
async function fetchRun(runId) {
  const data = await api("/runs/query", { method: "POST", body: {
    id: [runId], session: state.projects.map((p) => p.id), limit: 1,
    select: [...RUN_SELECT, "inputs", "outputs", "extra", "feedback_stats", "session_id", "thread_id"] } });
  if (!data.runs || !data.runs.length) throw new ServerError(`No run ${runId}.`);
  return data.runs[0];
}

function renderTree(runs, selected) {
  const byParent = new Map();
  for (const r of runs) {
    const key = r.parent_run_id || "";
    if (!byParent.has(key)) byParent.set(key, []);
    byParent.get(key).push(r);
  }
  for (const list of byParent.values()) list.sort((a, b) => (a.start_time < b.start_time ? -1 : a.start_time > b.start_time ? 1 : a.id < b.id ? -1 : 1));
  const ids = new Set(runs.map((r) => r.id));
  const roots = runs.filter((r) => !r.parent_run_id || !ids.has(r.parent_run_id));
  const start = Math.min(...runs.map((r) => Date.parse(r.start_time)));
  const end = Math.max(...runs.map((r) => Date.parse(r.end_time || r.start_time)));
  const span = Math.max(end - start, 1);
  const tree = $("#tree");
  tree.replaceChildren();
  const visit = (run, depth) => {
    const li = document.createElement("li");
    li.setAttribute("role", "treeitem");
    li.setAttribute("aria-level", String(depth + 1));
    li.setAttribute("aria-selected", run.id === selected ? "true" : "false");
    li.tabIndex = 0;
    li.dataset.id = run.id;
    const s = Date.parse(run.start_time), e = Date.parse(run.end_time || run.start_time);
    const left = ((s - start) / span) * 100, width = Math.max(((e - s) / span) * 100, 0.5);
    li.innerHTML = `<span class="tname" style="padding-left:${depth * 0.9}rem">${escapeHTML(run.name)}<span class="ttype">${escapeHTML(run.run_type)}</span></span>`
      + `<span class="waterfall" title="${escapeHTML(formatLatency(run))}"><span class="bar${run.status === "error" ? " error" : ""}" style="left:${left}%;width:${width}%"></span></span>`;
    li.addEventListener("click", () => showRun(run.id));
    li.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); showRun(run.id); }
      if (ev.key === "ArrowDown" && li.nextElementSibling) { ev.preventDefault(); li.nextElementSibling.focus(); }
      if (ev.key === "ArrowUp" && li.previousElementSibling) { ev.preventDefault(); li.previousElementSibling.focus(); }
    });
    tree.append(li);
    for (const child of byParent.get(run.id) || []) visit(child, depth + 1);
  };
  for (const root of roots.sort((a, b) => (a.start_time < b.start_time ? -1 : 1))) visit(root, 0);
}

async function traceRuns(traceId) {
  const runs = [];
  let cursor;
  do {
    const data = await api("/runs/query", { method: "POST", body: {
      trace: traceId, session: state.projects.map((p) => p.id), limit: 100,
      select: [...RUN_SELECT, "end_time"], cursor } });
    runs.push(...(data.runs || []));
    cursor = data.cursors && data.cursors.next;
  } while (cursor && runs.length < 5000);
  return runs;
}

async function openTrace(traceId, runId, push) {
  $(".layout").classList.add("with-detail");
  $("#detail").hidden = false;
  $("#detail-title").textContent = "Trace";
  try {
    const runs = await traceRuns(traceId);
    if (!runs.length) throw new ServerError(`No runs found for trace ${traceId}.`);
    renderTree(runs, runId);
    state.runId = runId;
    writeURL(push);
    await showRun(runId);
  } catch (e) {
    $("#run-detail").textContent = e.message;
  }
}

// --------------------------------------------------------------- thread

async function openThread(threadId, projectId, push) {
  state.threadId = threadId;
  state.threadCursor = null;
  $("#thread").hidden = false;
  $("#thread-title").textContent = `Thread ${threadId}`;
  $("#thread-traces").replaceChildren();
  $(".layout").classList.add("with-detail");
  $("#detail").hidden = false;
  state.threadProject = projectId || (state.projects[0] && state.projects[0].id);
  writeURL(push);
  await moreThread();
}

async function moreThread() {
  const params = new URLSearchParams({ project_id: state.threadProject || "", page_size: "20" });
  for (const s of THREAD_SELECT) params.append("selects", s);
  if (state.threadCursor) params.set("cursor", state.threadCursor);
  try {
    const page = await api(`/api/v2/threads/${encodeURIComponent(state.threadId)}/traces?${params}`);
    for (const t of page.items || []) {
      const li = document.createElement("li");
      li.value = t.turn_number || undefined;
      li.dataset.trace = t.trace_id;
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = "open";
      b.addEventListener("click", () => openTrace(t.trace_id, t.trace_id, true));
      li.append(`${t.name || t.trace_id} · ${shortTime(t.start_time)} `, b);
      if (t.inputs_preview) { const p = document.createElement("div"); p.className = "muted"; p.textContent = `in: ${t.inputs_preview}`; li.append(p); }
      if (t.outputs_preview) { const p = document.createElement("div"); p.className = "muted"; p.textContent = `out: ${t.outputs_preview}`; li.append(p); }
      if (t.error_preview) { const p = document.createElement("div"); p.className = "status-error"; p.textContent = t.error_preview; li.append(p); }
      $("#thread-traces").append(li);
    }
    state.threadCursor = page.next_cursor || null;
    $("#thread-more").hidden = !state.threadCursor;
  } catch (e) {
    $("#thread-traces").append(Object.assign(document.createElement("li"), { textContent: e.message }));
  }
}

function closeDetail() {
  $(".layout").classList.remove("with-detail");
  $("#detail").hidden = true;
  $("#thread").hidden = true;
  state.runId = null;
  state.threadId = null;
  for (const tr of $("#runs tbody").children) tr.classList.remove("selected");
  writeURL(true);
}

// ------------------------------------------------- format, explain, code

async function formatFilters() {
  for (const name of FILTERS) {
    const { textarea } = editorOf(name);
    if (!textarea.value.trim()) continue;
    try {
      const out = await api("/filterql/format", { method: "POST", body: { filter: textarea.value } });
      textarea.value = out.pretty;
      onEdit(name);
    } catch (e) {
      await checkFilter(name); // the diagnostics say why it cannot be formatted
    }
  }
}

async function explain() {
  const box = $("#explain-out");
  box.hidden = !$("#explain").checked;
  if (box.hidden) return;
  const text = form.elements.filter.value;
  if (!text.trim()) { box.textContent = "Type a filter to see how the optimizer simplifies it."; return; }
  try {
    const out = await api("/filterql/explain", { method: "POST", body: { filter: text } });
    const steps = out.steps.length ? out.steps.map((s) => `${s.text}`).join("\n") : "no rewrite applies";
    box.innerHTML = `<strong>optimized</strong><pre>${escapeHTML(out.result)}</pre><strong>steps</strong><pre>${escapeHTML(steps)}</pre>`;
  } catch (e) {
    box.textContent = e.message;
  }
}

async function showCode() {
  const box = $("#code");
  const query = {};
  const project = state.projects.find((p) => p.id === form.elements.project.value);
  if (project) { query.project_name = project.name; query.project_id = project.id; }
  const args = queryArguments();
  for (const name of [...FILTERS, "is_root", "run_type", "error", "start_time"]) if (args[name] !== undefined) query[name] = args[name];
  query.limit = pageSize();
  try {
    const code = await api("/filterql/code", { method: "POST", body: { query } });
    box.replaceChildren(...Object.entries(code).map(([title, text]) => {
      const div = document.createElement("div");
      div.innerHTML = `<div class="code-head"><strong>${escapeHTML(title)}</strong><button type="button">Copy</button></div><pre>${escapeHTML(text)}</pre>`;
      $("button", div).addEventListener("click", async (e) => {
        try { await navigator.clipboard.writeText(text); e.target.textContent = "Copied"; } catch { e.target.textContent = "Select and copy"; }
      });
      return div;
    }));
  } catch (e) {
    box.textContent = e.message;
  }
}

// ------------------------------------------------------------------ start

async function start() {
  buildEditors();
  readURL();
  for (const name of FILTERS) wireEditor(name);
  form.addEventListener("submit", (e) => { e.preventDefault(); runQuery(true); });
  for (const name of QUICK) form.elements[name].addEventListener("change", () => {
    if (name === "profile") FILTERS.forEach((f) => checkFilter(f)); else runQuery(true);
  });
  $("#next").addEventListener("click", () => { state.cursors[state.page + 1] = state.next; state.page += 1; runQuery(false); });
  $("#prev").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); runQuery(false); });
  $("#first").addEventListener("click", () => runQuery(true));
  $("#format").addEventListener("click", formatFilters);
  $("#explain").addEventListener("change", explain);
  $("#show-code").addEventListener("click", (e) => {
    const box = $("#code");
    box.hidden = !box.hidden;
    e.target.setAttribute("aria-expanded", String(!box.hidden));
    if (!box.hidden) showCode();
  });
  $("#close-detail").addEventListener("click", closeDetail);
  $("#thread-more").addEventListener("click", moreThread);
  window.addEventListener("popstate", () => { readURL(); FILTERS.forEach((f) => checkFilter(f)); runQuery(false); });
  try {
    const [catalog, sessions] = await Promise.all([api("/filterql/catalog"), api("/sessions")]);
    state.catalog = catalog;
    state.projects = Array.isArray(sessions) ? sessions : (sessions.items || sessions.sessions || []);
    const projectSelect = form.elements.project;
    const wanted = new URLSearchParams(location.search).get("project");
    for (const p of state.projects) projectSelect.append(new Option(p.name, p.id, false, p.id === wanted));
    for (const t of catalog.run_types) form.elements.run_type.append(new Option(t, t, false, t === new URLSearchParams(location.search).get("run_type")));
    $("#dataset").textContent = `${state.projects.length} project${state.projects.length === 1 ? "" : "s"}`;
  } catch (e) {
    showMessage(e.message);
    return;
  }
  const checks = await Promise.all(FILTERS.map((f) => checkFilter(f)));
  if (checks.every(Boolean)) await runQuery(false);
  if (state.runId) {
    try {
      const run = await fetchRun(state.runId);
      await openTrace(run.trace_id || run.id, run.id, false);
    } catch (e) {
      showMessage(e.message);
    }
  }
  if (state.threadId) await openThread(state.threadId, null, false);
  if ($("#explain").checked) explain();
}

start();
