/**
 * Text contrast inside a webview, as WCAG defines it: the relative luminance of each element's
 * text colour against the background it is painted on (translucent backgrounds blended over
 * their ancestors'), for every element matching the selectors that has text of its own.
 */
import type { Frame, Page } from 'playwright-core'

export interface ContrastReport {
  /** The lowest ratio found, with the element's text and colours. */
  lowest: { ratio: number; text: string; color: string; background: string; selector: string }
  checked: number
}

/** The innermost frame of a webview that has `selector` (VS Code nests iframe.webview → #active-frame). */
export async function webviewFrame(page: Page, selector: string): Promise<Frame> {
  for (const frame of page.frames()) {
    if (await frame.$(selector).catch(() => null)) return frame
  }
  throw new Error(`no webview frame has ${selector}`)
}

/**
 * The check runs in the page as plain JavaScript text: the test runner's TypeScript transform
 * decorates named functions with a helper the page does not have.
 */
const CONTRAST_SCRIPT = String.raw`function (selectors) {
    const parse = (css) => {
      const m = /rgba?\(([^)]+)\)/.exec(css)
      if (!m) return [0, 0, 0, 0]
      const parts = m[1].split(/[\s,/]+/).filter(Boolean).map(Number)
      return [parts[0], parts[1], parts[2], parts[3] ?? 1]
    }
    const over = (top, bottom) => {
      const a = top[3] + bottom[3] * (1 - top[3])
      if (a === 0) return [0, 0, 0, 0]
      const mix = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a
      return [mix(0), mix(1), mix(2), a]
    }
    const background = (el) => {
      if (!el) return [255, 255, 255, 1]
      const own = parse(getComputedStyle(el).backgroundColor)
      return own[3] >= 1 ? own : over(own, background(el.parentElement))
    }
    const luminance = ([r, g, b]) => {
      const channel = (v) => {
        const s = v / 255
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
      }
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }
    let lowest = { ratio: Infinity, text: '', color: '', background: '', selector: '' }
    let checked = 0
    for (const selector of selectors) {
      for (const el of document.querySelectorAll(selector)) {
        const ownText = [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent ?? '').join('').trim()
        const rect = el.getBoundingClientRect()
        if (!ownText || rect.width === 0 || rect.height === 0) continue
        const bg = background(el)
        const fg = over(parse(getComputedStyle(el).color), bg)
        const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a)
        const ratio = (l1 + 0.05) / (l2 + 0.05)
        checked++
        if (ratio < lowest.ratio) lowest = { ratio: Math.round(ratio * 100) / 100, text: ownText.slice(0, 40), color: getComputedStyle(el).color, background: 'rgba(' + bg.map((v) => Math.round(v * 100) / 100).join(', ') + ')', selector }
      }
    }
    return { lowest, checked }
}`

export function lowestContrast(frame: Frame, selectors: string[]): Promise<ContrastReport> {
  return frame.evaluate(`(${CONTRAST_SCRIPT})(${JSON.stringify(selectors)})`) as Promise<ContrastReport>
}
