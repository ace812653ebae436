// Streamlit's own English (uploader, date picker, selects, data grid, connection notices) in Chinese.
// Loaded by fazhi/ui/chinese.py with its data (data/ui_text.toml) as TEXTS; installs itself once per tab
// and translates what is on the page now and whatever Streamlit draws later (a MutationObserver).
(() => {
  const existing = window.__fazhiChinese;
  if (existing) {
    existing.scan(document.body);
    return;
  }
  const exact = new Map(Object.entries(TEXTS.exact));
  const patterns = TEXTS.patterns.map((p) => [new RegExp(p.english), p.chinese]);
  const ATTRIBUTES = TEXTS.attributes;
  const LATIN = /[A-Za-z]/;

  // The Chinese for one piece of text, or null when it is not one of Streamlit's own.
  function translate(text) {
    const core = text.trim();
    if (!core || !LATIN.test(core)) return null;
    let chinese = exact.get(core);
    if (chinese === undefined) {
      for (const [english, template] of patterns) {
        const match = core.match(english);
        if (match) {
          chinese = template.replace(/\{(\d)\}/g, (_, i) => {
            const part = match[Number(i)] || "";
            const inner = translate(part); // a slot may hold Streamlit's words too
            return inner === null ? part : inner;
          });
          break;
        }
      }
    }
    if (chinese === undefined) return null;
    return text.replace(core, chinese);
  }

  function text(node) {
    const chinese = translate(node.nodeValue);
    if (chinese !== null && chinese !== node.nodeValue) node.nodeValue = chinese;
  }

  function attribute(element, name) {
    const value = element.getAttribute(name);
    if (value === null) return;
    const chinese = translate(value);
    if (chinese !== null && chinese !== value) element.setAttribute(name, chinese);
  }

  function scan(root) {
    if (!root) return;
    if (root.nodeType === Node.TEXT_NODE) return text(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) text(node);
    const selector = ATTRIBUTES.map((name) => `[${name}]`).join(",");
    if (root.matches(selector)) ATTRIBUTES.forEach((name) => attribute(root, name));
    for (const element of root.querySelectorAll(selector)) ATTRIBUTES.forEach((name) => attribute(element, name));
  }

  // Streamlit gives components the browser's language (date fields, calendars): always Chinese here.
  for (const [name, value] of [["language", "zh-CN"], ["languages", ["zh-CN", "zh"]]]) {
    try {
      Object.defineProperty(window.navigator, name, { get: () => value, configurable: true });
    } catch (error) {
      // an old browser that refuses: the translations below still apply
    }
  }
  document.documentElement.lang = "zh-CN";

  const observer = new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      if (mutation.type === "childList") mutation.addedNodes.forEach(scan);
      else if (mutation.type === "characterData") text(mutation.target);
      else if (mutation.type === "attributes") attribute(mutation.target, mutation.attributeName);
    }
  });
  observer.observe(document.documentElement, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ATTRIBUTES,
  });
  window.__fazhiChinese = { translate, scan };
  scan(document.body);
})();
