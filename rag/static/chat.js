// The chat page's behaviour that Gradio has no setting for: plain-text copy, citation links and cards, the
// character counter and the Ask button's state, focus after a click, the question kept in view, and a question
// the server never answered (it restarted) sent again once it is back. Loaded inline by rag/chat.py.
(function () {
  "use strict";
  const PENDING = "rag-chat-pending:" + location.pathname;
  const PENDING_MINUTES = 10; // an older unanswered question is put back in the box, not sent
  const MAX_TRIES = 3; // reloads to resend a question before it is put back in the box
  const PAGE_OPENED = Date.now();
  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));

  const box = () => $("#question textarea");
  const askButton = () => $("#ask");
  const stopButton = () => $("#stop");
  const shown = (el) => !!el && el.offsetParent !== null;
  let stoppingUntil = 0; // Gradio cancels the stopped answer for a moment after Stop: nothing is sent meanwhile
  const busy = () => shown(stopButton()) || Date.now() < stoppingUntil;
  const maxChars = () => Number(($("#q-count") || {}).dataset?.max) || 4000;
  const tidy = (text) => (text || "").replace(/\s+/g, " ").trim();

  // --- the question box: Ask enabled only for a question that can be sent, a counter near the limit ----------------
  function sendable(text) {
    return tidy(text).length > 0 && (text || "").length <= maxChars() && !busy();
  }

  function syncBox() {
    const input = box(), ask = askButton(), count = $("#q-count");
    if (!input) return;
    const length = input.value.length, max = maxChars();
    if (ask) {
      const ok = sendable(input.value);
      if (ask.disabled === ok) ask.disabled = !ok;
      ask.setAttribute("aria-disabled", String(!ok));
    }
    if (!count) return;
    const over = length > max;
    const state = over ? "over" : length >= 0.8 * max ? "near" : "";
    const text = state
      ? `${length.toLocaleString("en")} / ${max.toLocaleString("en")} characters` +
        (over ? ` — ${(length - max).toLocaleString("en")} over the limit: shorten the question to send it.` : "")
      : "";
    if (count.className !== "q-count " + state) count.className = "q-count " + state;
    if (count.textContent !== text) count.textContent = text;
    if (count.dataset.state !== state) {
      count.dataset.state = state;
      announce(over ? "The question is over the length limit." : "");
    }
    if (input.getAttribute("aria-invalid") !== String(over)) {
      input.setAttribute("aria-describedby", "q-count");
      input.setAttribute("aria-invalid", String(over));
    }
  }

  function setBox(text) {
    const input = box();
    if (!input) return;
    input.value = text;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    syncBox();
  }

  // Enter on an empty or over-long question, or while an answer is written, does nothing (no empty bubble).
  document.addEventListener("keydown", (e) => {
    const input = box();
    if (e.target === input && e.key === "Enter" && !e.shiftKey && !e.isComposing && !sendable(input.value)) {
      e.preventDefault();
      e.stopImmediatePropagation();
    }
    if (e.key === "Escape" && e.target.closest && e.target.closest("a.cite")) {
      e.target.closest("a.cite").classList.add("card-off"); // WCAG 1.4.13: a card can be dismissed
    }
  }, true);
  document.addEventListener("input", (e) => { if (e.target === box()) syncBox(); }, true);

  // --- a question on its way: kept until its answer arrives, sent again after a restart -----------------------------
  function pending() {
    try { return JSON.parse(localStorage.getItem(PENDING) || "null"); } catch (e) { return null; }
  }
  function setPending(value) {
    try {
      if (value) localStorage.setItem(PENDING, JSON.stringify(value));
      else localStorage.removeItem(PENDING);
    } catch (e) { /* storage full or disabled: nothing to resend then */ }
  }
  function markPending(question) {
    const old = pending();
    const tries = old && old.q === question ? old.tries : 0;
    setPending({ q: question, at: Date.now(), tries: tries });
  }

  function lastReply() {
    const all = $$('#chat [data-testid="bot"]');
    return all.length ? all[all.length - 1] : null;
  }
  function userMessages() { return $$('#chat [data-testid="user"]'); }
  function lastQuestionShown() {
    const all = userMessages();
    return all.length ? tidy(all[all.length - 1].innerText) : "";
  }

  // Called by the submit event before its request: returns the inputs to send.
  function beforeSend(question, state) {
    if (!sendable(question)) return [question, state]; // the server ignores it too; the text stays in the box
    markPending(question);
    setBox("");
    box().focus();
    return [question, state];
  }

  function answered() { setPending(null); syncBox(); }
  function cleared() { // at once, not when the server's empty copy arrives: a reload right after 🗑 stays empty
    setPending(null);
    try {
      Object.keys(localStorage).filter((k) => /^rag-chat-[0-9a-f]{12}$/.test(k)).forEach((k) => localStorage.removeItem(k));
    } catch (e) { /* storage disabled: nothing kept to clear */ }
    announce("Conversation cleared.");
  }

  // After the conversation was restored: send the question the server never answered, once it is back.
  function restored() {
    keepQuestionInView(true);
    const p = pending();
    if (!p || p.at >= PAGE_OPENED) return; // sent from this page: its answer is on its way
    if (tidy(p.q) === lastQuestionShown() && !$('#chat .answer.writing')) { setPending(null); return; }
    if (Date.now() - p.at > PENDING_MINUTES * 60000 || p.tries >= MAX_TRIES) {
      setPending(null);
      if (!box().value) setBox(p.q); // not lost: back in the box for the reader to send
      return;
    }
    setPending({ q: p.q, at: p.at, tries: p.tries + 1 });
    setBox(p.q);
    setTimeout(() => { const ask = askButton(); if (ask && !ask.disabled) ask.click(); }, 50);
  }

  // A question whose request failed (the server was down): reload once the server answers again, which restores the
  // conversation and sends the question (restored() above). Gradio reloads by itself when a running answer's stream
  // breaks.
  let failedAt = 0;
  function failed() { failedAt = Date.now(); console.debug("rag: the question did not reach the server"); }
  setInterval(() => {
    const p = pending();
    if (!p || !failedAt || tidy(p.q) === lastQuestionShown()) return;
    fetch(location.pathname, { cache: "no-store" }).then((r) => {
      if (r.ok && pending()) location.reload();
    }).catch(() => { /* still down */ });
  }, 2000);

  // --- copy: plain text, the answer with [n] and then its numbered sources -----------------------------------------
  function textOf(node) {
    let out = "";
    node.childNodes.forEach((child) => {
      if (child.nodeType === Node.TEXT_NODE) { out += child.textContent; return; }
      if (child.nodeType !== Node.ELEMENT_NODE) return;
      if (child.matches(".cite-card, .vh")) return;
      if (child.matches("br")) { out += "\n"; return; }
      if (child.matches("li")) { out += "- " + textOf(child).trim() + "\n"; return; }
      if (child.matches("p, ul, ol, div")) { out += textOf(child).trim() + "\n"; return; }
      out += textOf(child);
    });
    return out;
  }

  function plainText(message) {
    const answer = $(".answer", message);
    if (!answer) return tidy(message.innerText);
    let out = textOf(answer).trim();
    const sources = $$("li.source", message);
    if (sources.length) {
      out += "\n\nSources:";
      sources.forEach((li) => {
        const head = tidy(textOf($(".source-head", li)));
        const doc = li.closest("ol").previousElementSibling;
        const link = $(".source-link a", li);
        out += `\n${head}${doc ? " — " + tidy(doc.textContent).replace(/^From /, "") : ""}\n` +
          tidy(textOf($(".source-text", li)));
        if (link) out += "\n" + link.href.split("#:~:")[0];
      });
    }
    return out;
  }

  function conversationText() {
    return $$('#chat [data-testid="user"], #chat [data-testid="bot"]').map((m) =>
      (m.dataset.testid === "user" ? "Question: " + tidy(m.innerText) : "Answer: " + plainText(m))).join("\n\n");
  }

  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) { // not a secure context: the old way
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
  }

  document.addEventListener("click", (e) => {
    const button = e.target.closest && e.target.closest("#chat button");
    if (!button) return;
    const label = button.getAttribute("aria-label") || "";
    let text = null;
    if (label === "Copy message") {
      const message = $('[data-testid="bot"], [data-testid="user"]', button.closest(".message-row") || button.parentNode);
      if (message) text = message.dataset.testid === "bot" ? plainText(message) : tidy(message.innerText);
    } else if (/^copy/i.test(label) && /conversation|all/i.test(label)) {
      text = conversationText();
    }
    if (text === null) return;
    e.preventDefault();
    e.stopImmediatePropagation();
    copy(text).then(() => {
      button.classList.add("copied");
      setTimeout(() => button.classList.remove("copied"), 1500);
      announce("Copied to the clipboard.");
    });
  }, true);

  // --- citations: [n] opens and highlights its source; its card stays inside the window ----------------------------
  document.addEventListener("click", (e) => {
    const cite = e.target.closest && e.target.closest("a.cite");
    if (!cite) return;
    e.preventDefault();
    const message = cite.closest('[data-testid="bot"]') || document;
    const id = decodeURIComponent((cite.getAttribute("href") || "").slice(1));
    const source = id && message.querySelector("#" + CSS.escape(id));
    if (!source) return;
    const details = source.closest("details");
    if (details) details.open = true;
    $$("li.source.flash", message).forEach((li) => li.classList.remove("flash"));
    source.classList.add("flash");
    source.scrollIntoView({ block: "nearest", behavior: "smooth" });
    source.focus({ preventScroll: true });
    setTimeout(() => source.classList.remove("flash"), 2500);
  });

  function placeCard(cite) {
    requestAnimationFrame(() => {
      const card = $(".cite-card", cite), log = $('#chat [role="log"]');
      if (!card || !log) return;
      card.style.setProperty("--shift", "0px");
      cite.classList.remove("above");
      const bounds = log.getBoundingClientRect(), margin = 8;
      card.style.maxWidth = Math.min(384, bounds.width - 2 * margin) + "px";
      let rect = card.getBoundingClientRect();
      if (rect.bottom > bounds.bottom - margin && cite.getBoundingClientRect().top - rect.height > bounds.top + margin) {
        cite.classList.add("above");
        rect = card.getBoundingClientRect();
      }
      let shift = 0;
      if (rect.right > bounds.right - margin) shift = bounds.right - margin - rect.right;
      if (rect.left + shift < bounds.left + margin) shift = bounds.left + margin - rect.left;
      card.style.setProperty("--shift", shift + "px");
    });
  }
  document.addEventListener("mouseover", (e) => {
    const cite = e.target.closest && e.target.closest("a.cite");
    if (cite) placeCard(cite);
  });
  document.addEventListener("focusin", (e) => {
    const cite = e.target.closest && e.target.closest("a.cite");
    if (cite) placeCard(cite);
  });
  document.addEventListener("focusout", (e) => {
    const cite = e.target.closest && e.target.closest("a.cite");
    if (cite) cite.classList.remove("card-off");
  });

  // A question sent within a moment of Stop waits for the cancellation to finish, else Gradio cancels it too.
  const SENDERS = '#ask, #chat .example, #chat .option, #chat button[aria-label="Retry"], #chat button[aria-label="Submit"]';
  document.addEventListener("click", (e) => {
    const target = e.target.closest && e.target.closest(SENDERS + ", #stop");
    if (!target) return;
    if (target.matches("#stop")) { stoppingUntil = Date.now() + 1000; return; }
    const wait = stoppingUntil - Date.now();
    if (wait > 0) {
      e.preventDefault();
      e.stopImmediatePropagation();
      setTimeout(() => target.click(), wait + 50);
    }
  }, true);

  // --- focus: a clicked example or suggestion, Stop, and 👎 leave focus somewhere useful -----------------------------
  document.addEventListener("click", (e) => {
    const target = e.target.closest && e.target.closest("#chat .example, #chat .option, #stop, #ask");
    if (target) {
      if (target.matches(".example, .option")) markPending(tidy(target.innerText));
      setTimeout(() => { const input = box(); if (input) input.focus(); }, 0);
    }
    const dislike = e.target.closest && e.target.closest('#chat button[aria-label="Dislike"]');
    if (dislike) {
      let waited = 0;
      const timer = setInterval(() => {
        const comment = $("#feedback-comment textarea");
        waited += 100;
        if (shown(comment)) { comment.focus(); clearInterval(timer); } else if (waited > 3000) clearInterval(timer);
      }, 100);
    }
  }, true);

  // --- the page as Gradio renders it: names, roles, live regions, and the newest question kept in view -------------
  let live = null;
  function announce(text) {
    if (!live) return;
    live.textContent = "";
    if (text) setTimeout(() => { live.textContent = text; }, 50);
  }

  function tidyMessages() {
    $$('#chat [data-testid="bot"]').forEach((m) => {
      const answer = $(".answer", m);
      const label = "Answer: " + (answer ? tidy(textOf(answer)) : tidy(m.innerText)).slice(0, 500);
      if (m.getAttribute("aria-label") !== label) m.setAttribute("aria-label", label);
    });
    $$('#chat [data-testid="user"]').forEach((m) => {
      const label = "Question: " + tidy(m.innerText).slice(0, 500);
      if (m.getAttribute("aria-label") !== label) m.setAttribute("aria-label", label);
    });
    $$("#chat .examples[role=list]").forEach((list) => {
      list.setAttribute("role", "group");
      list.setAttribute("aria-label", "Example questions");
    });
    $$("#chat .options").forEach((group) => {
      const refusal = !!(lastReply() && $(".answer.refusal", lastReply()));
      const label = refusal ? "Nearest topics in the articles" : "Related questions";
      if (group.getAttribute("aria-label") !== label) {
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", label);
      }
    });
    $$("#chat textarea.edit-textarea:not([aria-label])").forEach((area) => {
      area.setAttribute("aria-label", "Edit your question");
    });
    const status = $("#feedback-status");
    if (status && !status.hasAttribute("aria-live")) {
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
    }
  }

  // The newest question stays in view: the log follows the answer until the question reaches its top (on a phone
  // the answer would otherwise push it out), unless the reader scrolls.
  let questionsSeen = 0, following = false;
  function keepQuestionInView(force) {
    const all = userMessages();
    if (force || all.length > questionsSeen) following = all.length > 0;
    questionsSeen = all.length;
    const log = $('#chat [role="log"]');
    if (!following || !log || !all.length) return;
    const row = all[all.length - 1].closest(".message-row") || all[all.length - 1];
    const top = log.scrollTop + row.getBoundingClientRect().top - log.getBoundingClientRect().top - 4;
    const target = Math.max(0, Math.min(top, log.scrollHeight - log.clientHeight));
    if (Math.abs(log.scrollTop - target) > 1) log.scrollTop = target;
  }
  ["wheel", "touchmove", "mousedown"].forEach((type) => document.addEventListener(type, (e) => {
    if (e.target.closest && e.target.closest('#chat [role="log"]')) following = false;
  }, { passive: true }));
  document.addEventListener("keydown", (e) => {
    if (["PageUp", "PageDown", "ArrowUp", "ArrowDown", "Home", "End"].includes(e.key) &&
        e.target.closest && e.target.closest('#chat [role="log"]')) following = false;
  });

  function start() {
    if (!$("#chat") || live) return false;
    live = document.createElement("div");
    live.className = "vh";
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    document.body.appendChild(live);
    let queued = false;
    new MutationObserver(() => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        tidyMessages();
        keepQuestionInView(false);
        syncBox();
      });
    }).observe($("#chat").closest(".gradio-container") || document.body,
      { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label", "style", "class"] });
    tidyMessages();
    syncBox();
    return true;
  }
  const waiting = new MutationObserver(() => { if (start()) waiting.disconnect(); });
  waiting.observe(document.documentElement, { subtree: true, childList: true });

  window.ragChat = { beforeSend, answered, failed, cleared, restored, plainText, conversationText };
})();
