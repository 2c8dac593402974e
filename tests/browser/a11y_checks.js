// Checks the browser tests run in every page (tests/browser/a11y.py adds this file as an init
// script, next to axe-core): window.a11yChecks.brokenIdrefs() and .layoutProblems().
(function () {
  "use strict";
  window.a11yChecks = {
    // The idrefs that must point at an element of the page (a name or description that points
    // nowhere says nothing: Django's fields point aria-describedby at <id>_helptext and <id>_error).
    brokenIdrefs: () => {
    const broken = [];
    for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls", "aria-errormessage"]) {
        for (const el of document.querySelectorAll(`[${attr}]`)) {
            for (const id of el.getAttribute(attr).split(/\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) broken.push(`${el.tagName.toLowerCase()}#${el.id} ${attr}=${id}`);
            }
        }
    }
    for (const label of document.querySelectorAll("label[for]")) {
        if (!document.getElementById(label.htmlFor)) broken.push(`label for=${label.htmlFor}`);
    }
    return broken;
},
    // Nothing lost at a narrow window or with large text: no horizontal scrolling of the page, no
    // text cut off by its box, no two controls on top of each other, none outside the window.
    layoutProblems: () => {
    const problems = [];
    const root = document.documentElement;
    if (root.scrollWidth > root.clientWidth + 1) problems.push(`page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth}`);
    const visible = (el) => {
        // checkVisibility: also false inside a closed <details> (content-visibility: hidden).
        if (!el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })) return false;
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && !el.closest(".visually-hidden, .skip-link, [hidden]");
    };
    const name = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""} "${(el.innerText || el.value || "").trim().slice(0, 30)}"`;
    // Text clipped by its own box (overflow hidden and more content than room), ellipsis excepted.
    for (const el of document.querySelectorAll("body *")) {
        if (!visible(el)) continue;
        const style = getComputedStyle(el);
        if (style.textOverflow === "ellipsis") continue;
        if (["hidden", "clip"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1 && el.innerText.trim()) {
            problems.push(`clipped: ${name(el)} ${el.scrollWidth} > ${el.clientWidth}`);
        }
    }
    // Controls overlapping each other.
    const controls = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary, h1")].filter(visible);
    const boxes = controls.map((el) => [el, el.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
            const [a, ra] = boxes[i], [b, rb] = boxes[j];
            if (a.contains(b) || b.contains(a)) continue;
            const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
            const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
            if (w > 2 && h > 2) problems.push(`overlap: ${name(a)} and ${name(b)}`);
        }
    }
    // Controls outside the window (cut off at the right edge).
    for (const [el, r] of boxes) {
        if (r.right > root.clientWidth + 1 && !el.closest(".table-wrap, .sidebar")) problems.push(`off the window: ${name(el)}`);
    }
    return problems;
},
    // The focused element, and how its focus ring compares with what surrounds it (WCAG 1.4.11).
    focused: () => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const parse = (c) => {
        const m = c.match(/rgba?\(([^)]+)\)/);
        if (!m) return null;
        const [r, g, b, a] = m[1].split(",").map(Number);
        return { r, g, b, a: a === undefined ? 1 : a };
    };
    const lum = ({ r, g, b }) => {
        const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (x, y) => { const [a, b] = [lum(x), lum(y)].sort((p, q) => q - p); return (a + 0.05) / (b + 0.05); };
    // The colour the ring is drawn on: the first opaque background around the element.
    const behind = (node) => {
        for (let n = node.parentElement; n; n = n.parentElement) {
            const c = parse(getComputedStyle(n).backgroundColor);
            if (c && c.a > 0.9) return c;
        }
        return parse(getComputedStyle(document.documentElement).backgroundColor) || { r: 255, g: 255, b: 255 };
    };
    const style = getComputedStyle(el);
    const ring = parse(style.outlineColor);
    const width = style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth);
    const own = parse(style.backgroundColor);
    const r = el.getBoundingClientRect();
    return {
        tag: el.tagName.toLowerCase(),
        id: el.id,
        name: (el.getAttribute("aria-label") || el.innerText || el.value || "").trim().slice(0, 40),
        href: el.getAttribute("href"),
        current: el.getAttribute("aria-current"),
        width,
        // A ring drawn away from the element (outline-offset > 0) is seen against what is around the
        // element; one drawn on its edge, against the element's own fill when it has one.
        contrast: !ring || !width ? 0
            : own && own.a > 0.9 && parseFloat(style.outlineOffset) <= 0 ? ratio(ring, own) : ratio(ring, behind(el)),
        visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0,
        top: r.top + window.scrollY,
        left: r.left + window.scrollX,
    };
},
    // Every control a user can act on, in document order (what Tab must reach).
    controls: () => [...document.querySelectorAll(
    "a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), " +
    "textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])"
)].filter((el) => el.tabIndex >= 0 && el.checkVisibility({ visibilityProperty: true }) && !el.closest("[inert]")
    && el.getBoundingClientRect().width > 0).map((el) => el.outerHTML.slice(0, 80)),
  };
})();
