// readalike's reading page: a list of articles with search, an article with
// its similar readings and why they are similar, recommendations from this
// browser's reading history, and the collection's figures. Plain DOM, no
// build step and nothing from outside: it talks to the JSON API of the server
// that served it, by relative paths, so it also works behind a prefix.
//
// A route the server does not have yet answers 404 "no route for ..."; the
// page then leaves that part out and says so, rather than failing.
'use strict';

(() => {
  const HISTORY_KEY = 'readalike.history'; // localStorage: [{id, title}], most recent last
  const READER_KEY = 'readalike.reader'; // localStorage: this browser's reader id
  const API_KEY = 'readalike.key';         // sessionStorage: the API key, for writes
  const HISTORY_MAX = 50;
  const PAGE_SIZE = 20;
  const SEARCH_K = 20;
  const SIMILAR_K = 5;
  const RECOMMEND_K = 10;
  const STEMMED = ['en', 'es', 'fr', 'hu', 'no', 'ru', 'sv'];

  // ---------------------------------------------------------------- DOM

  // h builds an element: attrs sets properties (text, class, on*, dataset)
  // and attributes (everything else); children are nodes or strings.
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    setAttrs(el, attrs);
    el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
    return el;
  }

  const SVG_NS = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    setAttrs(el, attrs);
    el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
    return el;
  }

  function setAttrs(el, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') el.textContent = v;
      else if (k === 'class') el.setAttribute('class', v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }

  const main = document.getElementById('main');
  const statusEl = document.getElementById('status');

  // announce says something in the polite live region.
  function announce(msg) {
    statusEl.textContent = '';
    // A fresh text node after a tick, so a repeated message is read again.
    setTimeout(() => { statusEl.textContent = msg; }, 20);
  }

  function note(text, cls = 'note') {
    return h('p', { class: cls, text });
  }

  function articleHref(id) {
    return '#/article/' + encodeURIComponent(id);
  }

  function safeURL(u) {
    return typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null;
  }

  // ---------------------------------------------------------------- formats

  const pad = (n) => String(n).padStart(2, '0');

  // stamp writes a time as the seed page does: 2024/01/19 06:30, local time.
  function stamp(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  const dayFormat = new Intl.DateTimeFormat('en', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

  // day writes a publication date: Jan 18, 2024 (the day it carries, in UTC).
  function day(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return isNaN(d) ? iso : dayFormat.format(d);
  }

  function timeEl(iso, fmt) {
    return iso ? h('time', { datetime: iso, text: fmt(iso) }) : '—';
  }

  const score = (x) => x.toFixed(2);
  const plural = (n, word) => `${count(n)} ${word}${n === 1 ? '' : 's'}`;
  const count = (n) => (typeof n === 'number' ? n.toLocaleString('en') : '—');

  function bytes(n) {
    if (typeof n !== 'number') return '—';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
  }

  // ---------------------------------------------------------------- API

  class APIError extends Error {
    constructor(status, code, message, field) {
      super(message);
      this.status = status;
      this.code = code;
      this.field = field || '';
    }
    // noRoute: the server does not have this route (yet): 404 "no route
    // for ...", or 405 where the path has a route for another method only
    // (GET /v1/articles beside POST /v1/articles).
    get noRoute() {
      return (this.status === 404 && this.code === 'not_found' && this.message.startsWith('no route')) ||
        (this.status === 405 && this.code === 'method_not_allowed');
    }
  }

  function key() {
    try { return sessionStorage.getItem(API_KEY) || ''; } catch { return ''; }
  }

  function setKey(k) {
    try {
      if (k) sessionStorage.setItem(API_KEY, k);
      else sessionStorage.removeItem(API_KEY);
    } catch { /* storage refused: the key lasts this page only */ }
    memoryKey = k;
    showKeyState();
  }
  let memoryKey = key();

  // api calls the JSON API and returns the decoded answer, or throws an
  // APIError with the server's code and message.
  async function api(method, path, { body, write = false } = {}) {
    const headers = { Accept: 'application/json' };
    let payload;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    if (write && memoryKey) headers.Authorization = 'Bearer ' + memoryKey;
    for (let attempt = 0; ; attempt++) {
      let resp;
      try {
        resp = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
      } catch (e) {
        throw new APIError(0, 'network', 'the server did not answer (' + e.message + ')');
      }
      const text = await resp.text();
      let data = null;
      if (text) {
        try { data = JSON.parse(text); } catch { /* not JSON: said below */ }
      }
      if (resp.ok) return data;
      const e = (data && data.error) || {};
      if (resp.status === 503 && e.code === 'loading' && attempt < 60) {
        // The server answers while its index loads: wait as it asks.
        if (attempt === 0) announce('The collection is still loading…');
        const wait = Math.min(5, Math.max(1, parseInt(resp.headers.get('Retry-After') || '1', 10) || 1));
        await new Promise((r) => setTimeout(r, wait * 1000));
        continue;
      }
      throw new APIError(resp.status, e.code || 'http_' + resp.status, e.message || resp.statusText || 'error ' + resp.status, e.field);
    }
  }

  // write makes a write, asking for the API key when the server refuses it
  // without one (401); it gives up when the reader cancels.
  async function write(method, path, opts = {}) {
    for (let tries = 0; ; tries++) {
      try {
        return await api(method, path, { ...opts, write: true });
      } catch (e) {
        if (e.status !== 401 || tries >= 3) throw e;
        const again = await askKey(memoryKey ? 'The server refused this key.' : '');
        if (!again) throw e;
      }
    }
  }

  let configPromise = null;
  // config returns GET /v1/config, or null when the server has no such route.
  function config() {
    configPromise ||= api('GET', 'v1/config').catch((e) => {
      if (!e.noRoute) console.warn('GET v1/config:', e.message);
      return null;
    });
    return configPromise;
  }

  let statsPromise = null;
  function stats(fresh = false) {
    if (fresh || !statsPromise) statsPromise = api('GET', 'v1/stats').catch((e) => { statsPromise = null; throw e; });
    return statsPromise;
  }

  // writesNeedKey: true, false, or null when the server does not say.
  async function writesNeedKey() {
    const c = await config();
    return c && typeof c.writes_need_key === 'boolean' ? c.writes_need_key : null;
  }

  // readsNeedKey: whether recording a read needs the key; a server that
  // does not say is taken to treat reads as writes.
  async function readsNeedKey() {
    const c = await config();
    return c && typeof c.reads_need_key === 'boolean' ? c.reads_need_key : writesNeedKey();
  }

  // readerId is this browser's reader id, made once and kept, so that the
  // server can recommend from the reads it recorded for it.
  function readerId() {
    try {
      let id = localStorage.getItem(READER_KEY);
      if (!id) {
        id = 'browser-' + Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
        localStorage.setItem(READER_KEY, id);
      }
      return id;
    } catch {
      return '';
    }
  }

  // ---------------------------------------------------------------- the key dialog

  const dialog = document.getElementById('key-dialog');
  const keyInput = document.getElementById('key-input');
  const keyError = document.getElementById('key-error');

  // askKey opens the key dialog and resolves true once a key is given,
  // false when the reader cancels.
  function askKey(why) {
    return new Promise((resolve) => {
      const back = document.activeElement;
      keyError.textContent = why || '';
      keyInput.value = '';
      const done = (ok) => {
        dialog.removeEventListener('close', onClose);
        if (back && back.focus) back.focus();
        resolve(ok);
      };
      const onClose = () => {
        const k = keyInput.value.trim();
        if (dialog.returnValue === 'ok' && k) {
          setKey(k);
          done(true);
        } else {
          done(false);
        }
      };
      dialog.returnValue = '';
      dialog.addEventListener('close', onClose);
      dialog.showModal();
      keyInput.focus();
    });
  }
  document.getElementById('key-cancel').addEventListener('click', () => dialog.close('cancel'));

  async function showKeyState() {
    const el = document.getElementById('key-state');
    const need = await writesNeedKey();
    el.replaceChildren();
    if (need === false) {
      el.append('Writes are open on this server.');
    } else if (memoryKey) {
      el.append('API key set for this tab. ',
        h('button', { type: 'button', class: 'link', text: 'Forget the key', onclick: () => { setKey(''); announce('API key forgotten'); } }));
    } else if (need === true) {
      el.append('Reading is open; writes ask for the API key.');
    }
  }

  // ---------------------------------------------------------------- history

  function history() {
    try {
      const v = JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]');
      return Array.isArray(v) ? v.filter((e) => e && typeof e.id === 'string') : [];
    } catch { return []; }
  }

  function saveHistory(list) {
    try { localStorage.setItem(HISTORY_KEY, JSON.stringify(list.slice(-HISTORY_MAX))); } catch { /* full or refused */ }
  }

  function remember(id, title) {
    saveHistory(history().filter((e) => e.id !== id).concat([{ id, title }]));
  }

  // ---------------------------------------------------------------- routing

  let seq = 0; // the current render; an answer for an older one is dropped
  let current = null; // {name, update(params)} of the view on screen

  function parseHash() {
    const raw = location.hash.replace(/^#/, '') || '/';
    const i = raw.indexOf('?');
    const path = i < 0 ? raw : raw.slice(0, i);
    return { path, params: new URLSearchParams(i < 0 ? '' : raw.slice(i + 1)) };
  }

  function decodeID(s) {
    try { return decodeURIComponent(s); } catch { return s; }
  }

  async function route(first) {
    const { path, params } = parseHash();
    const my = ++seq;
    const live = () => my === seq;
    let name = 'missing';
    let m;
    if (path === '/' || path === '/articles') name = 'articles';
    else if ((m = path.match(/^\/article\/(.+)$/))) name = 'article';
    else if (path === '/for-you') name = 'for-you';
    else if (path === '/collection') name = 'collection';

    for (const a of document.querySelectorAll('header nav a')) {
      if (a.dataset.view === (name === 'article' ? 'articles' : name)) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    if (current && current.name === name && current.update) {
      current.update(params, live); // same view, new parameters: keep the form and the focus
      return;
    }
    main.replaceChildren();
    current = { name };
    document.title = { articles: 'Articles', 'for-you': 'For you', collection: 'Collection' }[name] ?? 'readalike';
    if (document.title !== 'readalike') document.title += ' · readalike';
    let title;
    switch (name) {
      case 'articles': title = viewArticles(params, live); break;
      case 'article': title = viewArticle(decodeID(m[1]), live); break;
      case 'for-you': title = viewForYou(live); break;
      case 'collection': title = viewCollection(live); break;
      default:
        main.append(h('h1', { tabindex: -1, text: 'Not found' }), note('There is no such page here. '),
          h('p', {}, h('a', { href: '#/', text: 'Go to the articles' })));
    }
    if (!first) {
      const h1 = main.querySelector('h1');
      if (h1) h1.focus();
    }
    await title;
  }

  // ---------------------------------------------------------------- neighbor lists

  // neighborList renders neighbors as a list of links with scores and a
  // "why" toggle each. explain(id) returns a promise of that neighbor's
  // explanation (or throws); a neighbor carrying its explanation uses it.
  function neighborList(neighbors, { cls = 'cards', explain, meta = true } = {}) {
    const ol = h('ol', { class: cls });
    neighbors.forEach((n, i) => {
      const panelID = `why-${seq}-${cls}-${i}`;
      const panel = h('div', { id: panelID, class: 'why-panel', hidden: true });
      const btn = h('button', {
        type: 'button', class: 'why', 'aria-expanded': 'false', 'aria-controls': panelID,
        text: 'Why?', 'aria-label': `Why is “${n.title || n.id}” similar?`,
      });
      let loaded = false;
      btn.addEventListener('click', async () => {
        const open = btn.getAttribute('aria-expanded') !== 'true';
        btn.setAttribute('aria-expanded', String(open));
        panel.hidden = !open;
        if (!open || loaded) return;
        loaded = true;
        panel.replaceChildren(note('Loading the explanation…'));
        try {
          const ex = n.explanation || (await explain(n.id));
          panel.replaceChildren(explanationChart(n, ex));
          announce(`Explanation of “${n.title || n.id}” shown`);
        } catch (e) {
          loaded = !!e.unavailable; // a missing route stays missing; other errors may pass
          panel.replaceChildren(note(e.message, e.unavailable ? 'note' : 'error'));
        }
      });
      const metaLine = meta ? h('p', { class: 'meta' },
        n.category ? h('span', { class: 'tag', text: n.category }) : null,
        n.published ? timeEl(n.published, day) : null,
        n.weak ? h('span', { class: 'tag weak', title: 'below the minimum score, filled from the same category', text: 'weak' }) : null) : null;
      ol.append(h('li', { dataset: { id: n.id } },
        h('div', { class: 'row' },
          h('a', { href: articleHref(n.id), class: 'title', text: n.title || n.id }),
          h('span', { class: 'side' },
            h('span', { class: 'score', dataset: { score: String(n.score) }, title: 'cosine similarity', text: score(n.score) }),
            btn)),
        metaLine,
        panel));
    });
    return ol;
  }

  // explanationChart draws an explanation as horizontal bars, one per
  // shared word and one for the rest, each as long as its share of the
  // score; the figure's text alternative lists the same numbers.
  function explanationChart(n, ex) {
    const rows = (ex.terms || []).map((t) => ({ word: t.word, v: t.contribution }));
    if (ex.other > 0) rows.push({ word: 'other words', v: ex.other, other: true });
    const total = n.score || rows.reduce((a, r) => a + r.v, 0) || 1;
    const id = 'chart-' + Math.random().toString(36).slice(2);
    const rowH = 20, labelW = 92, barW = 140, width = 270;
    const svg = s('svg', {
      class: 'chart', viewBox: `0 0 ${width} ${rows.length * rowH + 4}`, role: 'img',
      'aria-labelledby': id + '-cap', 'aria-describedby': id + '-desc',
      width: '100%', preserveAspectRatio: 'xMinYMin meet',
    });
    const desc = rows.map((r) => `${r.word}: ${r.v.toFixed(3)}, ${Math.round((100 * r.v) / total)}% of the score`).join('; ');
    svg.append(s('desc', { id: id + '-desc', text: desc }));
    rows.forEach((r, i) => {
      const y = i * rowH + 2;
      const w = Math.max(1, (barW * r.v) / total);
      const label = r.word.length > 14 ? r.word.slice(0, 13) + '…' : r.word;
      svg.append(s('g', { class: r.other ? 'bar other' : 'bar' },
        s('title', { text: `${r.word}: ${r.v.toFixed(4)}` }),
        s('text', { x: labelW - 6, y: y + 14, 'text-anchor': 'end', class: 'label', text: label }),
        s('rect', { x: labelW, y: y + 3, width: w.toFixed(1), height: rowH - 6, rx: 2 }),
        s('text', { x: labelW + w + 4, y: y + 14, class: 'value', text: `${Math.round((100 * r.v) / total)}%` })));
    });
    return h('figure', { class: 'why-figure' },
      h('figcaption', { id: id + '-cap', text: `Shared words behind the score ${score(n.score)}` }),
      svg);
  }

  // similarExplainer fetches an article's neighbors with explanations once,
  // on the first "why", and hands out each neighbor's.
  function similarExplainer(id) {
    let answer = null;
    return async (nid) => {
      answer ||= api('GET', `v1/articles/${encodeURIComponent(id)}/similar?k=${SIMILAR_K}&explain=true`).catch((e) => {
        answer = null;
        if (e.noRoute || (e.status === 400 && e.field === 'explain')) {
          const u = new Error('This server does not explain its answers yet (explain=true).');
          u.unavailable = true;
          throw u;
        }
        throw e;
      });
      const res = await answer;
      const n = (res.neighbors || []).find((x) => x.id === nid);
      if (!n) throw new Error('This reading is no longer among the five nearest; reload the article.');
      if (!n.explanation) {
        const u = new Error('The server sent no explanation for this reading.');
        u.unavailable = true;
        throw u;
      }
      return n.explanation;
    };
  }

  // ---------------------------------------------------------------- Articles

  function viewArticles(params, live) {
    const q = h('input', { type: 'search', id: 'q', name: 'q', autocomplete: 'off', placeholder: 'a lander near the lunar south pole' });
    const cat = h('select', { id: 'category', name: 'category' });
    const lang = h('select', { id: 'lang', name: 'lang' });
    const clear = h('button', { type: 'button', class: 'secondary', text: 'Clear search', hidden: true });
    const form = h('form', { role: 'search', class: 'search', 'aria-label': 'Search the articles' },
      h('label', { for: 'q', text: 'Find articles like a text' }),
      h('div', { class: 'row' }, q, h('button', { type: 'submit', text: 'Search' }), clear),
      h('div', { class: 'filters' },
        h('label', { for: 'category' }, 'Category '), cat,
        h('label', { for: 'lang' }, 'Language '), lang));
    const heading = h('h2', { id: 'results-h' });
    const notes = h('div', { class: 'notes' });
    const results = h('div', { id: 'results' });
    const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' });
    main.append(h('h1', { tabindex: -1, text: 'Articles' }), form,
      h('section', { 'aria-labelledby': 'results-h', 'aria-busy': 'false', id: 'results-section' }, heading, notes, results, pager));

    const seen = { categories: new Set(), languages: new Set() };

    function go(next) {
      const p = new URLSearchParams();
      for (const k of ['q', 'category', 'lang', 'page']) if (next[k]) p.set(k, next[k]);
      const hash = '#/' + (p.toString() ? '?' + p : '');
      if (location.hash === hash) update(p, () => true);
      else location.hash = hash;
    }
    const params0 = () => parseHash().params;
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      go({ q: q.value.trim(), category: cat.value, lang: lang.value });
    });
    clear.addEventListener('click', () => { q.value = ''; go({ category: cat.value, lang: lang.value }); q.focus(); });
    cat.addEventListener('change', () => go({ q: params0().get('q') || '', category: cat.value, lang: lang.value }));
    lang.addEventListener('change', () => go({ q: params0().get('q') || '', category: cat.value, lang: lang.value }));

    async function fillFilters(p) {
      let st = null;
      try { st = await stats(); } catch { /* the filters fall back to what was seen */ }
      const cats = new Map(Object.entries((st && st.categories) || {}));
      for (const c of seen.categories) if (!cats.has(c)) cats.set(c, null);
      const langs = new Map(Object.entries((st && st.languages) || {}));
      for (const l of seen.languages) if (!langs.has(l)) langs.set(l, null);
      if (langs.size === 0) for (const l of STEMMED) langs.set(l, null);
      const want = { category: p.get('category') || '', lang: p.get('lang') || '' };
      for (const [sel, m, all, k] of [[cat, cats, 'All categories', 'category'], [lang, langs, 'All languages', 'lang']]) {
        if (want[k] && !m.has(want[k])) m.set(want[k], null);
        sel.replaceChildren(h('option', { value: '', text: all }),
          ...[...m.keys()].sort().map((v) => h('option', { value: v, text: m.get(v) === null ? v : `${v} (${m.get(v)})` })));
        sel.value = want[k];
      }
    }

    async function update(p, isLive) {
      const text = (p.get('q') || '').trim();
      const page = Math.max(1, parseInt(p.get('page') || '1', 10) || 1);
      q.value = text;
      clear.hidden = !text;
      const section = document.getElementById('results-section');
      section.setAttribute('aria-busy', 'true');
      section.dataset.state = 'loading';
      notes.replaceChildren();
      pager.replaceChildren();
      results.replaceChildren(note('Loading…'));
      await fillFilters(p);
      try {
        if (text) await showSearch(text, p, isLive);
        else await showList(p, page, isLive);
      } catch (e) {
        if (!isLive()) return;
        results.replaceChildren(note(e.message, 'error'));
        section.dataset.state = 'error';
        announce('Error: ' + e.message);
      } finally {
        section.setAttribute('aria-busy', 'false');
      }
      if (isLive()) await fillFilters(p);
    }
    current.update = update;

    async function showSearch(text, p, isLive) {
      heading.textContent = `Most like “${text}”`;
      const body = { body: text, k: SEARCH_K };
      if (p.get('category')) body.category = [p.get('category')];
      if (p.get('lang')) body.lang = p.get('lang');
      let res;
      try {
        res = await api('POST', 'v1/similar', { body });
      } catch (e) {
        if (!(e.status === 400 && e.field === 'lang')) throw e;
        delete body.lang;
        res = await api('POST', 'v1/similar', { body });
        notes.append(note(`The server cannot read a text in “${p.get('lang')}”; the search read it as English.`));
      }
      if (!isLive()) return;
      const ns = res.neighbors || [];
      for (const n of ns) if (n.category) seen.categories.add(n.category);
      if (p.get('lang')) notes.append(note('The language says how to read the search text; the results are in any language.'));
      results.replaceChildren(ns.length ? searchList(ns) : note('Nothing in the collection is like this text.'));
      results.parentElement.dataset.state = 'search';
      announce(`${ns.length} articles like “${text}”`);
    }

    function searchList(ns) {
      const ol = h('ol', { class: 'cards', id: 'search-results' });
      for (const n of ns) {
        ol.append(h('li', { dataset: { id: n.id } },
          h('div', { class: 'row' },
            h('a', { href: articleHref(n.id), class: 'title', text: n.title || n.id }),
            h('span', { class: 'score', dataset: { score: String(n.score) }, title: 'cosine similarity', text: score(n.score) })),
          h('p', { class: 'meta' },
            n.category ? h('span', { class: 'tag', text: n.category }) : null,
            n.published ? timeEl(n.published, day) : null)));
      }
      return ol;
    }

    async function showList(p, page, isLive) {
      heading.textContent = 'Newest first';
      const qs = new URLSearchParams({ offset: String((page - 1) * PAGE_SIZE), limit: String(PAGE_SIZE) });
      if (p.get('category')) qs.set('category', p.get('category'));
      if (p.get('lang')) qs.set('lang', p.get('lang'));
      let res;
      try {
        res = await api('GET', 'v1/articles?' + qs);
      } catch (e) {
        if (!e.noRoute) throw e;
        if (!isLive()) return;
        heading.textContent = 'Search the collection';
        results.replaceChildren(
          note('This server does not list its articles yet (GET /v1/articles), so there is no list to page through: search by text above, or see the Collection.'));
        results.parentElement.dataset.state = 'unavailable';
        announce('The list of articles is not available on this server');
        return;
      }
      if (!isLive()) return;
      const arts = res.articles || [];
      for (const a of arts) {
        if (a.category) seen.categories.add(a.category);
        if (a.lang) seen.languages.add(a.lang);
      }
      const total = typeof res.total === 'number' ? res.total : arts.length;
      const from = (res.offset || 0) + 1;
      const to = (res.offset || 0) + arts.length;
      const ol = h('ol', { class: 'cards', id: 'article-list', start: from });
      for (const a of arts) {
        ol.append(h('li', { dataset: { id: a.id } },
          h('a', { href: articleHref(a.id), class: 'title', text: a.title || a.id }),
          h('p', { class: 'meta' },
            a.category ? h('span', { class: 'tag', text: a.category }) : null,
            a.lang ? h('span', { class: 'tag', lang: a.lang, text: a.lang }) : null,
            a.published ? timeEl(a.published, day) : null,
            typeof a.words === 'number' ? h('span', { text: plural(a.words, 'word') }) : null,
            typeof a.read_count === 'number' ? h('span', { text: plural(a.read_count, 'read') }) : null),
          a.summary ? h('p', { class: 'summary', lang: a.lang || null, text: a.summary }) : null));
      }
      results.replaceChildren(arts.length ? ol : note('No article matches these filters.'));
      results.parentElement.dataset.state = 'list';
      const link = (n, label, rel) => {
        const np = new URLSearchParams(p);
        if (n > 1) np.set('page', String(n)); else np.delete('page');
        return h('a', { href: '#/' + (np.toString() ? '?' + np : ''), rel, text: label });
      };
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      pager.replaceChildren(
        page > 1 ? link(page - 1, '← Newer', 'prev') : h('span', { 'aria-hidden': 'true' }),
        h('span', { text: arts.length ? `${from}–${to} of ${total} (page ${page} of ${pages})` : `${total} articles` }),
        page < pages ? link(page + 1, 'Older →', 'next') : h('span', { 'aria-hidden': 'true' }));
      announce(`Articles ${from} to ${to} of ${total}`);
    }

    return update(params, live);
  }

  // ---------------------------------------------------------------- an article

  function paragraphs(body) {
    const text = String(body || '').replace(/\r\n?/g, '\n').trim();
    const parts = /\n\s*\n/.test(text) ? text.split(/\n\s*\n/) : text.split('\n');
    return parts.map((p) => p.trim()).filter(Boolean);
  }

  async function viewArticle(id, live) {
    const h1 = h('h1', { id: 'title', tabindex: -1, text: 'Loading…' });
    main.append(h1);
    let a;
    try {
      a = await api('GET', `v1/articles/${encodeURIComponent(id)}`);
    } catch (e) {
      if (!live()) return;
      h1.textContent = e.status === 404 ? 'No such article' : 'The article could not be loaded';
      main.append(note(e.status === 404 ? `The collection has no article “${id}”.` : e.message, 'error'),
        h('p', {}, h('a', { href: '#/', text: 'Back to the articles' })));
      announce(h1.textContent);
      return;
    }
    if (!live()) return;
    document.title = `${a.title || a.id} · readalike`;
    h1.textContent = a.title || a.id;
    const url = safeURL(a.url);

    const readCount = h('dd', { id: 'read-count', text: count(a.read_count) });
    const lastRead = h('dd', { id: 'last-read' }, timeEl(a.last_read, stamp));
    const readNote = h('p', { class: 'note', id: 'read-note' });
    const statsSection = h('section', { 'aria-labelledby': 'stats-h', id: 'statistics' },
      h('h2', { id: 'stats-h', text: 'Statistics' }),
      h('dl', { class: 'figures' },
        h('div', {}, h('dt', { text: 'Words' }), h('dd', { id: 'words', text: count(a.words) })),
        h('div', {}, h('dt', { text: 'Read count' }), readCount)),
      readNote);
    const detail = (label, value, idAttr) => h('div', {}, h('dt', { text: label }), h('dd', { id: idAttr }, value));
    const similarSection = h('section', { 'aria-labelledby': 'similar-h', id: 'similar' },
      h('h2', { id: 'similar-h', text: 'Similar Readings' }), note('Loading…'));
    const summary = typeof a.summary === 'string' && a.summary.trim()
      ? h('p', { id: 'summary', lang: a.lang || null, text: a.summary })
      : note('This server does not summarise articles yet.');

    main.append(h('div', { class: 'article-layout' },
      h('article', { 'aria-labelledby': 'title', lang: a.lang || null },
        h('p', { class: 'meta' },
          a.category ? h('span', { class: 'tag', text: a.category }) : null,
          a.published ? timeEl(a.published, day) : null,
          url ? h('a', { href: url, rel: 'noopener noreferrer', target: '_blank', text: 'Source' }) : null),
        h('div', { class: 'body' }, paragraphs(a.body).map((p) => h('p', { text: p })))),
      h('aside', { 'aria-label': 'About this article' },
        similarSection,
        h('section', { 'aria-labelledby': 'summary-h' }, h('h2', { id: 'summary-h', text: 'Summary' }), summary),
        statsSection,
        h('section', { 'aria-labelledby': 'details-h' },
          h('h2', { id: 'details-h', text: 'Details' }),
          h('dl', { class: 'details' },
            detail('ID', h('code', { text: a.id }), 'detail-id'),
            detail('Category', a.category || '—', 'detail-category'),
            detail('URL', url ? h('a', { href: url, rel: 'noopener noreferrer', target: '_blank', text: url }) : '—', 'detail-url'),
            detail('Date', timeEl(a.published, day), 'detail-date'),
            detail('Created', timeEl(a.created, stamp), 'detail-created'),
            detail('Updated', timeEl(a.updated, stamp), 'detail-updated'),
            h('div', {}, h('dt', { text: 'Last read' }), lastRead))))));

    remember(a.id, a.title || a.id);
    announce(`Opened “${a.title || a.id}”`);
    await Promise.all([loadSimilar(a, similarSection, live), recordRead(a, { readCount, lastRead, readNote, statsSection }, live)]);
  }

  async function loadSimilar(a, section, live) {
    let res;
    try {
      res = await api('GET', `v1/articles/${encodeURIComponent(a.id)}/similar?k=${SIMILAR_K}`);
    } catch (e) {
      if (!live()) return;
      section.replaceChildren(h('h2', { id: 'similar-h', text: 'Similar Readings' }), note(e.message, 'error'));
      return;
    }
    if (!live()) return;
    const ns = res.neighbors || [];
    section.dataset.generation = String(res.generation);
    section.replaceChildren(
      h('h2', { id: 'similar-h', text: `Similar Readings (${ns.length} item${ns.length === 1 ? '' : 's'})` }),
      ns.length ? neighborList(ns, { cls: 'similar', explain: similarExplainer(a.id), meta: false })
        : note('No other article is like this one.'));
  }

  // recordRead counts this opening of the article, as read by this
  // browser's reader id. Reads need no key on readalike (GET /v1/config says
  // reads_need_key false); on a server that wants one, and none in this tab,
  // it is not counted unless the reader gives the key (never asked for
  // unprompted).
  async function recordRead(a, els, live) {
    const done = (state, msg) => {
      if (!live()) return;
      els.statsSection.dataset.read = state;
      els.readNote.replaceChildren(...(msg ? [msg] : []));
    };
    const post = async () => {
      const reader = readerId();
      const r = await api('POST', `v1/articles/${encodeURIComponent(a.id)}/reads`, { write: true, body: reader ? { reader } : {} });
      if (!live()) return;
      if (typeof r.read_count === 'number') els.readCount.textContent = count(r.read_count);
      if (r.last_read) els.lastRead.replaceChildren(timeEl(r.last_read, stamp));
      done('recorded', '');
      announce('Read recorded');
    };
    const offerKey = () => done('needs-key', h('span', {},
      'This reading was not counted: the server counts reads only with its API key. ',
      h('button', {
        type: 'button', class: 'link', text: 'Enter the key and count it',
        onclick: async () => { if (await askKey('')) { try { await post(); } catch (e) { done('failed', e.message); } } },
      })));
    if ((await readsNeedKey()) === true && !memoryKey) {
      offerKey();
      return;
    }
    try {
      await post();
    } catch (e) {
      if (e.noRoute) done('unavailable', 'This server does not record reads yet (POST /v1/articles/{id}/reads).');
      else if (e.status === 401) { setKey(''); offerKey(); }
      else done('failed', 'The read was not recorded: ' + e.message);
    }
  }

  // ---------------------------------------------------------------- For you

  async function viewForYou(live) {
    main.append(h('h1', { tabindex: -1, text: 'For you' }));
    const hist = history();
    const intro = h('p', {});
    const notes = h('div', { class: 'notes', id: 'for-you-notes' });
    const results = h('section', { 'aria-labelledby': 'recs-h', id: 'recommendations' }, h('h2', { id: 'recs-h', text: 'Recommended' }));
    const histList = h('ol', { class: 'history' });
    const forget = h('button', {
      type: 'button', class: 'secondary', text: 'Forget my reading history',
      onclick: () => { saveHistory([]); announce('Reading history forgotten'); route(true); },
    });
    main.append(intro, notes, results,
      h('section', { 'aria-labelledby': 'hist-h' }, h('h2', { id: 'hist-h', text: 'What you read here' }), histList, forget));
    const showHistory = (list) => {
      intro.textContent = list.length
        ? `From the ${list.length} article${list.length === 1 ? '' : 's'} you opened in this browser. Your history stays in this browser; only the ids are sent, to ask for recommendations.`
        : 'Open a few articles first: this page recommends from what you read in this browser.';
      histList.replaceChildren(...list.slice().reverse().map((e) => h('li', {}, h('a', { href: articleHref(e.id), text: e.title || e.id }))));
      forget.hidden = !list.length;
    };
    showHistory(hist);
    if (!hist.length) {
      results.hidden = true;
      return;
    }
    results.append(note('Loading…'));
    const ids = hist.map((e) => e.id);
    let res, fallback = false;
    try {
      res = await api('POST', 'v1/recommend', { body: { history: ids, k: RECOMMEND_K, explain: true } });
    } catch (e) {
      if (!e.noRoute) {
        if (live()) results.replaceChildren(h('h2', { id: 'recs-h', text: 'Recommended' }), note(e.message, 'error'));
        return;
      }
      fallback = true;
      try {
        res = await api('POST', 'v1/similar', { body: { history: ids, k: RECOMMEND_K } });
      } catch (e2) {
        if (live()) results.replaceChildren(h('h2', { id: 'recs-h', text: 'Recommended' }), note(e2.message, 'error'));
        return;
      }
    }
    if (!live()) return;
    const missing = Array.isArray(res.missing) ? res.missing : [];
    if (missing.length) {
      const gone = new Set(missing);
      const dropped = hist.filter((e) => gone.has(e.id));
      const kept = history().filter((e) => !gone.has(e.id));
      saveHistory(kept);
      showHistory(kept);
      notes.append(h('p', { class: 'note', id: 'missing-note' },
        `${dropped.length === 1 ? 'One article' : dropped.length + ' articles'} you read ${dropped.length === 1 ? 'is' : 'are'} no longer in the collection and ${dropped.length === 1 ? 'was' : 'were'} removed from your history: `,
        dropped.map((e) => e.title || e.id).join(', ') + '.'));
    }
    if (fallback) {
      notes.append(note('This server has no recommendations route yet (POST /v1/recommend): these are the articles nearest to your history by POST /v1/similar, which cannot say which articles are gone and explains nothing.'));
    }
    const ns = res.neighbors || [];
    const unexplained = async () => {
      const u = new Error('This server does not explain its recommendations yet.');
      u.unavailable = true;
      throw u;
    };
    results.replaceChildren(h('h2', { id: 'recs-h', text: `Recommended (${ns.length})` }),
      ns.length ? neighborList(ns, { cls: 'cards', explain: unexplained }) : note('Nothing to recommend yet.'));
    results.dataset.source = fallback ? 'similar' : 'recommend';
    announce(`${ns.length} recommendations` + (missing.length ? `; ${missing.length} removed from your history` : ''));
  }

  // ---------------------------------------------------------------- Collection

  async function viewCollection(live) {
    main.append(h('h1', { tabindex: -1, text: 'Collection' }));
    const body = h('div', { id: 'collection' }, note('Loading…'));
    main.append(body);
    let st;
    try {
      st = await stats(true);
    } catch (e) {
      if (live()) body.replaceChildren(note(e.message, 'error'));
      return;
    }
    if (!live()) return;
    const fig = (label, value, id) => h('div', {}, h('dt', { text: label }), h('dd', { id, text: value }));
    const parts = [h('dl', { class: 'figures wide' },
      fig('Articles', count(st.articles), 'stat-articles'),
      fig('Generation', count(st.generation), 'stat-generation'),
      fig('Terms', count(st.terms), 'stat-terms'),
      typeof st.reads === 'number' ? fig('Reads', count(st.reads), 'stat-reads') : null,
      fig('Fitted on', `${count(st.fitted_articles)} articles`, 'stat-fitted'),
      fig('Changed since', `${count(st.changed_since_fit)} articles`, 'stat-changed'),
      fig('Refitting', st.refitting ? 'yes, now' : 'no', 'stat-refitting'),
      typeof st.store_bytes === 'number' ? fig('Store', bytes(st.store_bytes), 'stat-store') : null,
      fig('Index memory', bytes(st.index_bytes), 'stat-index'))];

    const table = (caption, m, head) => {
      const rows = Object.entries(m).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
      const max = Math.max(1, ...rows.map((r) => r[1]));
      const svgRows = rows.length;
      const chart = s('svg', { class: 'chart', viewBox: `0 0 320 ${svgRows * 20 + 4}`, width: '100%', 'aria-hidden': 'true', focusable: 'false' },
        rows.map(([k, v], i) => s('g', { class: 'bar' },
          s('text', { x: 104, y: i * 20 + 16, 'text-anchor': 'end', class: 'label', text: k.length > 16 ? k.slice(0, 15) + '…' : k }),
          s('rect', { x: 110, y: i * 20 + 5, width: ((170 * v) / max).toFixed(1), height: 14, rx: 2 }),
          s('text', { x: 114 + (170 * v) / max, y: i * 20 + 16, class: 'value', text: String(v) }))));
      // The table is the text alternative; the chart repeats it for the eye.
      return h('figure', { class: 'dist' }, h('figcaption', { text: caption }), chart,
        h('table', { class: 'visually-hidden' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: head }), h('th', { scope: 'col', text: 'Articles' }))),
          h('tbody', {}, rows.map(([k, v]) => h('tr', {}, h('th', { scope: 'row', text: k }), h('td', { text: String(v) }))))));
    };
    if (st.categories || st.languages) {
      parts.push(h('div', { class: 'dists' },
        st.categories ? table('Articles per category', st.categories, 'Category') : null,
        st.languages ? table('Articles per language', st.languages, 'Language') : null));
    } else {
      parts.push(note('This server does not count articles per category and language yet (GET /v1/stats).'));
    }
    if (Array.isArray(st.most_read)) {
      parts.push(h('section', { 'aria-labelledby': 'most-read-h' }, h('h2', { id: 'most-read-h', text: 'Most read' }),
        st.most_read.length
          ? h('ol', { class: 'most-read' }, st.most_read.map((m) => h('li', {},
            h('a', { href: articleHref(m.id), text: m.title || m.id }), ` · ${plural(m.read_count, 'read')}`)))
          : note('Nothing has been read yet.')));
    }
    parts.push(await refitSection(st, live));
    body.replaceChildren(...parts.filter(Boolean));
    const c = await config();
    if (live() && c && c.version) body.append(h('p', { class: 'meta', text: 'readalike ' + c.version }));
  }

  // refitSection offers the refit, a write: the button shows when writes
  // are open or this tab holds the key; otherwise the reader is offered to
  // give the key first.
  async function refitSection(st, live) {
    const sec = h('section', { 'aria-labelledby': 'refit-h', id: 'refit' }, h('h2', { id: 'refit-h', text: 'Refit' }),
      h('p', { text: `A refit fits the next generation of the model on the whole collection; ${count(st.changed_since_fit)} articles changed since the last one. The server also refits by itself once enough has changed.` }));
    const out = h('p', { class: 'note', id: 'refit-out' });
    const need = await writesNeedKey();
    const fill = () => {
      const allowed = need !== true || !!memoryKey;
      const btn = h('button', { type: 'button', id: 'refit-button', text: 'Refit now', hidden: !allowed });
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        out.textContent = 'Refitting…';
        announce('Refitting');
        try {
          const r = await write('POST', 'v1/refit');
          out.textContent = `Done: the model is at generation ${r.generation}.`;
          announce(out.textContent);
          const g = document.getElementById('stat-generation');
          if (g) g.textContent = count(r.generation);
        } catch (e) {
          out.textContent = 'The refit failed: ' + e.message;
          announce(out.textContent);
        } finally {
          btn.disabled = false;
        }
      });
      const keyBtn = h('button', {
        type: 'button', class: 'secondary', text: 'Enter the API key', hidden: allowed,
        onclick: async () => { if (await askKey('')) fillAgain(); },
      });
      return [btn, keyBtn, allowed ? null : h('p', { class: 'note', text: 'Refitting is a write, and this server needs its API key for writes.' })];
    };
    const controls = h('div', { class: 'row' });
    const fillAgain = () => controls.replaceChildren(...fill().filter(Boolean));
    fillAgain();
    sec.append(controls, out);
    return live() ? sec : null;
  }

  // ---------------------------------------------------------------- start

  window.addEventListener('hashchange', () => route(false));
  config().then((c) => {
    const v = document.getElementById('version');
    if (c && c.version) v.textContent = 'readalike ' + c.version;
    showKeyState();
  });
  route(true);
})();
