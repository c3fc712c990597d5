import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

/** Keyboard-only journeys (the portal's and the workspace's): what has the focus, and Tab until something does. */
export interface Focused {
  readonly tag: string;
  readonly text: string;
  readonly type: string;
  readonly checked: boolean;
  readonly visible: boolean;
}

export async function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return { tag: 'BODY', text: '', type: '', checked: false, visible: false };
    const style = getComputedStyle(el);
    // Visible focus: an outline (our :focus-visible ring) or, for native controls, the browser's ring.
    const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
    const label = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`)?.textContent ?? '' : '';
    return {
      tag: el.tagName, text: (el.textContent?.trim() || label || el.getAttribute('aria-label') || '').replace(/\s+/g, ' '),
      type: (el as HTMLInputElement).type ?? '', checked: Boolean((el as HTMLInputElement).checked), visible,
    };
  });
}

/** Presses Tab (or Shift+Tab) until the focused element matches; every stop on the way must show its focus. */
export async function tabTo(page: Page, match: (f: Focused) => boolean, options: { back?: boolean; max?: number } = {}): Promise<Focused> {
  for (let i = 0; i < (options.max ?? 120); i++) {
    await page.keyboard.press(options.back ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    if (f.tag !== 'BODY') assert.ok(f.visible, `focus is visible on ${f.tag} "${f.text}"`);
    if (match(f)) return f;
  }
  throw new Error('the element was never reached with the keyboard');
}

