/* rag widget: one <script src="https://your-site/ask/widget.js" defer></script> adds an "Ask the articles"
 * button to a page; it opens a small chat panel whose answers stream from the API beside this script
 * (POST v1/chat/completions with stream: true), with their [n] markers and the passages they quote.
 *
 * Options, as data- attributes of the script tag:
 *   data-title     the button's and the panel's name (default "Ask the articles")
 *   data-position  "right" (default) or "left": the bottom corner the button sits in
 *   data-colour    any CSS colour for the button and the panel's header (data-color works too)
 *
 * Plain JavaScript, no framework, nothing loaded from elsewhere. Everything lives in a shadow root, so the
 * page's styles and the widget's cannot touch each other. Text from the server is only ever set as text.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script || window.__ragAskWidget) return; // loaded twice: one button is enough
  window.__ragAskWidget = true;

  var API = new URL("v1/chat/completions", script.src).href;
  var MAX_CONTEXT = 20; // earlier questions sent along for follow-ups (the API takes at most 20)
  var title = (script.dataset.title || "").trim() || "Ask the articles";
  var position = script.dataset.position === "left" ? "left" : "right";
  var colour = script.dataset.colour || script.dataset.color || "";
  if (!colour || !(window.CSS && CSS.supports("color", colour))) colour = "#1f5fbf";

  var CSS_TEXT = [
    ":host { all: initial; }",
    "*, *::before, *::after { box-sizing: border-box; }",
    ".launcher { position: fixed; bottom: 20px; SIDE: 20px; z-index: 2147483000; display: flex; align-items: center;",
    "  gap: 8px; min-height: 48px; padding: 12px 18px; border: 0; border-radius: 999px; background: var(--accent);",
    "  color: var(--on-accent); font: 600 15px/1.2 system-ui, -apple-system, 'Segoe UI', sans-serif;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.28); cursor: pointer; }",
    ".launcher svg { width: 20px; height: 20px; flex: none; }",
    "button:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }",
    ".panel { position: fixed; bottom: 84px; SIDE: 20px; z-index: 2147483001; width: min(400px, calc(100vw - 40px));",
    "  height: min(600px, calc(100vh - 110px)); display: flex; flex-direction: column; background: #fff; color: #1b1b1b;",
    "  border-radius: 12px; box-shadow: 0 8px 32px rgba(0,0,0,.3); font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; }",
    ".panel[hidden] { display: none; }",
    ".head { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 4px 4px 4px 16px;",
    "  background: var(--accent); color: var(--on-accent); border-radius: 12px 12px 0 0; }",
    "h2 { margin: 0; font-size: 16px; font-weight: 600; }",
    ".close { width: 44px; height: 44px; border: 0; background: transparent; color: inherit; font-size: 24px; cursor: pointer; border-radius: 8px; }",
    ".log { flex: 1; overflow-y: auto; padding: 8px 16px 12px; }",
    ".hint { color: #555; font-size: 14px; margin: 8px 0; }",
    ".question { margin: 14px 0 6px auto; padding: 8px 12px; max-width: 90%; width: fit-content; background: #eef1f6;",
    "  border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".text { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".answer[aria-busy='true'] .text::after { content: '\\2026'; color: #777; }",
    ".refused .text { color: #444; font-style: italic; }",
    ".marker { border: 0; background: none; padding: 0 1px; margin: 0; font-family: inherit; font-size: .75em; font-weight: 600; line-height: 1; vertical-align: super;",
    "  color: var(--accent-text); cursor: pointer; }",
    ".note { color: #555; font-size: 13px; font-style: italic; margin: 6px 0 0; }",
    ".error { color: #a40000; margin: 0; }",
    ".sources { margin-top: 8px; padding-top: 4px; border-top: 1px solid #ddd; font-size: 13px; }",
    ".sources h3 { margin: 4px 0; font-size: 13px; font-weight: 600; color: #444; }",
    ".sources ol { list-style: none; margin: 0; padding: 0; }",
    "summary { cursor: pointer; padding: 3px 0; }",
    ".n { font-weight: 600; color: var(--accent-text); }",
    "blockquote { margin: 4px 0 8px; padding: 6px 10px; border-left: 3px solid var(--accent); background: #f7f7f7;",
    "  white-space: pre-wrap; overflow-wrap: anywhere; }",
    "mark { background: #fff1a8; color: inherit; }",
    "form { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #ddd; }",
    "textarea { flex: 1; min-height: 44px; max-height: 120px; resize: none; padding: 8px 10px; border: 1px solid #8a8a8a;",
    "  border-radius: 8px; font-family: inherit; font-size: 16px; line-height: 1.4; color: inherit; background: #fff; }",
    ".ask { min-height: 44px; padding: 0 16px; border: 0; border-radius: 8px; background: var(--accent); color: var(--on-accent);",
    "  font-family: inherit; font-size: 15px; font-weight: 600; cursor: pointer; }",
    ".ask:disabled { opacity: .6; cursor: progress; }",
    ".sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    "@media (max-width: 520px) {",
    "  .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; }",
    "  .head { border-radius: 0; }",
    "  .launcher[aria-expanded='true'] { display: none; }",
    "}",
  ].join("\n").replace(/SIDE/g, position);

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { node.append(child); });
    return node;
  }

  /* Black or white text, whichever reads better on the accent colour (WCAG relative luminance). */
  function textOn(rgb) {
    var c = (rgb.match(/[\d.]+/g) || [0, 0, 0]).slice(0, 3).map(function (v) {
      v = Number(v) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    var luminance = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    return luminance > 0.179 ? "#000" : "#fff";
  }

  var host = el("div", { "data-rag-widget": "" });
  var root = host.attachShadow({ mode: "open" });
  if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
    var sheet = new CSSStyleSheet(); // a constructed sheet is not inline style: a strict page CSP lets it through
    sheet.replaceSync(CSS_TEXT);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(el("style", { text: CSS_TEXT }));
  }

  var icon = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2zm3 5v2h10V9zm0 4v2h7v-2z"/></svg>';
  var launcher = el("button", { type: "button", class: "launcher", "aria-haspopup": "dialog", "aria-expanded": "false",
                                "aria-controls": "rag-panel" });
  launcher.innerHTML = icon; // a constant, never server text
  launcher.append(el("span", { text: title }));

  var closer = el("button", { type: "button", class: "close", "aria-label": "Close" }, ["\u00d7"]);
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Questions and answers" }, [
    el("p", { class: "hint", text: "Answers come only from the articles; each sentence ends with [n], the passage it " +
                                   "quotes, listed under the answer." })]);
  var input = el("textarea", { id: "rag-question", rows: "2", maxlength: "4000", placeholder: "Ask a question\u2026",
                               autocomplete: "off" });
  var asker = el("button", { type: "submit", class: "ask" }, ["Ask"]);
  var form = el("form", {}, [el("label", { for: "rag-question", class: "sr-only", text: "Your question" }), input, asker]);
  var panel = el("div", { id: "rag-panel", class: "panel", role: "dialog", "aria-modal": "false",
                          "aria-labelledby": "rag-title", hidden: "" }, [
    el("div", { class: "head" }, [el("h2", { id: "rag-title", text: title }), closer]), log, form]);
  root.append(launcher, panel);
  (document.body || document.documentElement).append(host);

  host.style.setProperty("--accent", colour);
  var probe = getComputedStyle(launcher).backgroundColor;
  var onAccent = textOn(probe);
  host.style.setProperty("--on-accent", onAccent);
  // Markers and numbers sit on white: a light accent would vanish, so they take a dark one then.
  host.style.setProperty("--accent-text", onAccent === "#fff" ? colour : "#1b1b1b");

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    input.focus();
  }

  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { panel.hidden ? open() : close(); });
  closer.addEventListener("click", close);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); close(); }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  var asked = []; // earlier questions, oldest first: the context of a follow-up
  var turns = 0;

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question || asker.disabled) return;
    input.value = "";
    ask(question);
  });

  function ask(question) {
    var turn = ++turns;
    var text = el("p", { class: "text" });
    var answer = el("div", { class: "answer", "aria-busy": "true" }, [text]);
    log.append(el("p", { class: "question" }, [el("span", { class: "sr-only", text: "You asked: " }), question]), answer);
    answer.scrollIntoView({ block: "nearest" });
    asker.disabled = true;
    var messages = asked.slice(-MAX_CONTEXT).concat([question]).map(function (q) { return { role: "user", content: q }; });
    fetch(API, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify({ model: "rag", stream: true, messages: messages }),
    }).then(function (response) {
      if (!response.ok) return errorOf(response).then(function (message) { fail(answer, text, message); });
      return read(response, text).then(function (result) {
        finish(answer, text, result, turn);
        asked.push(question);
      });
    }).catch(function (problem) {
      fail(answer, text, problem && problem.fromServer ? problem.message
        : "The articles could not be reached. Please try again later.");
    }).then(function () {
      asker.disabled = false;
    });
  }

  /* The streamed answer: each chunk's text is shown as it comes; the chunk with `citations` is the sources. */
  function read(response, text) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var result = { text: "", final: null };
    function handle(data) {
      if (data === "[DONE]") return;
      var chunk = JSON.parse(data);
      if (chunk.error) {
        var error = new Error(chunk.error.message || String(chunk.error));
        error.fromServer = true;
        throw error;
      }
      if (chunk.citations !== undefined) { result.final = chunk; return; }
      var delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
      if (delta && delta.content) {
        result.text += delta.content;
        text.append(document.createTextNode(delta.content));
      }
    }
    function pump() {
      return reader.read().then(function (part) {
        buffer += decoder.decode(part.value || new Uint8Array(), { stream: !part.done });
        var cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          buffer.slice(0, cut).split("\n").forEach(function (line) {
            if (line.indexOf("data:") === 0) handle(line.slice(5).trim());
          });
          buffer = buffer.slice(cut + 2);
        }
        return part.done ? result : pump();
      });
    }
    return pump();
  }

  function errorOf(response) {
    return response.json().then(function (body) {
      var error = body && body.error;
      return (error && (error.message || (typeof error === "string" && error))) || "The server answered " + response.status + ".";
    }, function () { return "The server answered " + response.status + "."; });
  }

  function fail(answer, text, message) {
    text.replaceChildren();
    answer.setAttribute("aria-busy", "false");
    answer.append(el("p", { class: "error", role: "alert", text: message }));
  }

  /* The whole answer again, its [n] markers now buttons that open their passage; then the sources. */
  function finish(answer, text, result, turn) {
    var final = result.final || { citations: [], refused: false, notice: "" };
    var byN = {};
    final.citations.forEach(function (c) { byN[c.n] = c; });
    text.replaceChildren();
    result.text.split(/(\[\d+\])/).forEach(function (piece, i) {
      var n = i % 2 ? Number(piece.slice(1, -1)) : null;
      if (n === null || !byN[n]) { if (piece) text.append(document.createTextNode(piece)); return; }
      var marker = el("button", { type: "button", class: "marker", "aria-label": "source " + n }, ["[" + n + "]"]);
      marker.addEventListener("click", function () {
        var item = root.getElementById("rag-source-" + turn + "-" + n);
        var details = item.querySelector("details");
        details.open = true;
        details.querySelector("summary").focus();
      });
      text.append(marker);
    });
    if (final.refused) answer.classList.add("refused");
    if (final.notice) answer.append(el("p", { class: "note", text: final.notice }));
    if (final.citations.length) {
      var list = el("ol");
      final.citations.forEach(function (c) {
        var where = [c.source, c.section].filter(Boolean).join(" \u203a ");
        list.append(el("li", { id: "rag-source-" + turn + "-" + c.n }, [el("details", {}, [
          el("summary", {}, [el("span", { class: "n", text: "[" + c.n + "]" }), " " + where]),
          el("blockquote", {}, quoted(c))])]));
      });
      answer.append(el("section", { class: "sources", "aria-label": "Sources" }, [el("h3", { text: "Sources" }), list]));
    }
    answer.setAttribute("aria-busy", "false");
  }

  /* The passage as text nodes, the sentences the answer quotes wrapped in <mark>. */
  function quoted(citation) {
    var nodes = [];
    var at = 0;
    (citation.quotes || []).slice().sort(function (a, b) { return a.start - b.start; }).forEach(function (q) {
      if (q.start < at || q.end > citation.text.length) return;
      if (q.start > at) nodes.push(document.createTextNode(citation.text.slice(at, q.start)));
      nodes.push(el("mark", { text: citation.text.slice(q.start, q.end) }));
      at = q.end;
    });
    if (at < citation.text.length) nodes.push(document.createTextNode(citation.text.slice(at)));
    return nodes;
  }
})();
