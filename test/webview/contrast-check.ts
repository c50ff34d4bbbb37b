/**
 * WCAG contrast inside a panel's page, measured on what Chromium paints: every visible text (light
 * DOM and the open shadow roots of @vscode-elements, slotted text taking its colour from its slot,
 * input values and placeholders) against the background it sits on (translucent backgrounds and
 * opacity blended down the flat tree; an SVG text's fill against the filled shapes drawn beneath
 * it), and each keyboard stop's focus indicator (an outline, a border or, on an SVG control, a
 * shape's stroke) against the background around it. Text needs 4.5:1 (WCAG 1.4.3), a focus indicator 3:1 (1.4.11). Disabled
 * controls are exempt, as WCAG exempts inactive components.
 *
 * The functions run in the page (page.evaluate), which is given the `__name` helper the test
 * runner's transform adds to them.
 */
import type { Page } from 'playwright-core'

export interface ContrastFinding {
  /** What was measured: a text, a focused control's text, or a focus indicator. */
  kind: 'text' | 'focused text' | 'focus indicator'
  control: string
  text: string
  color: string
  background: string
  ratio: number
  needed: number
}

export interface ContrastReport {
  checked: number
  lowest: ContrastFinding | undefined
  failures: ContrastFinding[]
}

/** In the page: shared helpers, installed once per document as `window.__contrast`. */
function installHelpers(): void {
  type Rgba = [number, number, number, number]
  const w = window as unknown as { __contrast?: unknown }
  if (w.__contrast) return
  const parse = (css: string): Rgba => {
    const m = /rgba?\(([^)]+)\)/.exec(css)
    if (!m) return [0, 0, 0, 0]
    const parts = m[1]
      .split(/[\s,/]+/)
      .filter(Boolean)
      .map(Number)
    return [parts[0], parts[1], parts[2], parts[3] ?? 1]
  }
  const over = (top: Rgba, bottom: Rgba): Rgba => {
    const a = top[3] + bottom[3] * (1 - top[3])
    if (a === 0) return [0, 0, 0, 0]
    const mix = (i: number) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a
    return [mix(0), mix(1), mix(2), a]
  }
  /** The parent in the flat tree: a slotted node's slot, a shadow root's host. */
  const flatParent = (node: Node): Element | null => {
    const slot = (node as Element | Text).assignedSlot
    if (slot) return slot
    if (node.parentElement) return node.parentElement
    const root = node.parentNode
    return root instanceof ShadowRoot ? root.host : null
  }
  const background = (el: Element | null): Rgba => {
    if (!el) return [255, 255, 255, 1]
    const own = parse(getComputedStyle(el).backgroundColor)
    return own[3] >= 1 ? own : over(own, background(flatParent(el)))
  }
  const opacity = (el: Element | null): number => (el ? Number(getComputedStyle(el).opacity) * opacity(flatParent(el)) : 1)
  /**
   * What an SVG element is painted on: the filled shapes drawn before it (earlier siblings of it
   * and of its ancestors) that cover its centre, over the background of the <svg> itself.
   */
  const svgBackground = (el: SVGElement): Rgba => {
    const box = el.getBoundingClientRect()
    const [x, y] = [box.left + box.width / 2, box.top + box.height / 2]
    const beneath: Rgba[] = []
    for (let e: Element | null = el; e && !(e instanceof SVGSVGElement); e = e.parentElement) {
      for (let s = e.previousElementSibling; s; s = s.previousElementSibling) {
        if (!(s instanceof SVGGeometryElement)) continue
        const style = getComputedStyle(s)
        const r = s.getBoundingClientRect()
        if (style.fill === 'none' || style.visibility === 'hidden' || x < r.left || x > r.right || y < r.top || y > r.bottom) continue
        const fill = parse(style.fill)
        beneath.push([fill[0], fill[1], fill[2], fill[3] * Number(style.fillOpacity) * opacity(s)])
      }
    }
    return beneath.reverse().reduce((bg, shape) => over(shape, bg), background(el instanceof SVGSVGElement ? el : el.ownerSVGElement))
  }
  /** An SVG text's colour is its fill (with its fill-opacity), an HTML text's its color. */
  const textColor = (el: Element): Rgba => {
    const style = getComputedStyle(el)
    if (!(el instanceof SVGElement)) return parse(style.color)
    const fill = parse(style.fill)
    return [fill[0], fill[1], fill[2], fill[3] * Number(style.fillOpacity)]
  }
  const luminance = ([r, g, b]: Rgba) => {
    const channel = (v: number) => {
      const s = v / 255
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
    }
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
  }
  const ratio = (fg: Rgba, bg: Rgba) => {
    const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a)
    return Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100
  }
  const css = (c: Rgba) =>
    `rgb(${c
      .slice(0, 3)
      .map((v) => Math.round(v))
      .join(', ')})`
  const disabled = (el: Element | null): boolean => {
    for (let e = el; e; e = flatParent(e)) {
      if (e.hasAttribute('disabled') || e.getAttribute('aria-disabled') === 'true') return true
    }
    return false
  }
  const describe = (el: Element): string => {
    // The control a user sees: the custom element hosting a shadow part, not the part.
    let host: Element = el
    while (host.getRootNode() instanceof ShadowRoot) host = (host.getRootNode() as ShadowRoot).host
    const label = (e: Element) =>
      `${e.localName}${e.id ? `#${e.id}` : ''}${[...e.classList]
        .slice(0, 2)
        .map((c) => `.${c}`)
        .join('')}`
    return host === el ? label(el) : `${label(host)} › ${label(el)}`
  }
  /** Every element of the document and of the open shadow roots in it. */
  const allElements = (root: Document | ShadowRoot = document): Element[] =>
    [...root.querySelectorAll('*')].flatMap((el) => [el, ...(el.shadowRoot ? allElements(el.shadowRoot) : [])])
  const visible = (el: Element) => {
    const style = getComputedStyle(el)
    return style.visibility !== 'hidden' && el.getClientRects().length > 0
  }
  /** Texts under `scope` (the whole page by default) with their colours and backgrounds. */
  const texts = (scope?: Element) => {
    const found: { el: Element; text: string; fg: Rgba; bg: Rgba }[] = []
    const elements = scope
      ? [
          scope,
          ...(scope.shadowRoot ? allElements(scope.shadowRoot) : []),
          ...[...scope.querySelectorAll('*')].flatMap((e) => [e, ...(e.shadowRoot ? allElements(e.shadowRoot) : [])]),
        ]
      : allElements()
    for (const el of elements) {
      if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement) {
        if (!visible(el) || disabled(el) || el.type === 'checkbox' || el.type === 'radio' || el.type === 'hidden') continue
        const value = el.value
        // The query box paints its text in the highlighted copy behind it (checked as that copy's text).
        if (value && getComputedStyle(el).color === 'rgba(0, 0, 0, 0)') continue
        const color = value ? getComputedStyle(el).color : el.placeholder ? getComputedStyle(el, '::placeholder').color : ''
        if (!color) continue
        const bg = background(el)
        found.push({ el, text: value || el.placeholder, fg: over([...parse(color).slice(0, 3), parse(color)[3] * opacity(el)] as Rgba, bg), bg })
        continue
      }
      for (const node of el.childNodes) {
        if (node.nodeType !== Node.TEXT_NODE || !node.textContent?.trim()) continue
        const range = document.createRange()
        range.selectNodeContents(node)
        const rect = range.getBoundingClientRect()
        if (rect.width === 0 || rect.height === 0) continue
        const styled = (node as Text).assignedSlot ?? el
        if (!visible(styled) || disabled(styled)) continue
        const color = textColor(styled)
        const bg = styled instanceof SVGElement ? svgBackground(styled) : background(styled)
        found.push({ el: styled, text: node.textContent.trim(), fg: over([color[0], color[1], color[2], color[3] * opacity(styled)], bg), bg })
      }
    }
    return found
  }
  w.__contrast = { parse, over, flatParent, background, svgBackground, ratio, css, disabled, describe, allElements, texts, visible }
}

interface Helpers {
  flatParent(node: Node): Element | null
  background(el: Element | null): [number, number, number, number]
  svgBackground(el: SVGElement): [number, number, number, number]
  parse(css: string): [number, number, number, number]
  over(top: number[], bottom: number[]): [number, number, number, number]
  ratio(fg: number[], bg: number[]): number
  css(c: number[]): string
  disabled(el: Element | null): boolean
  describe(el: Element): string
  allElements(root?: Document | ShadowRoot): Element[]
  texts(scope?: Element): { el: Element; text: string; fg: number[]; bg: number[] }[]
}

async function install(page: Page): Promise<void> {
  // The helper the test runner's transform names functions with (the panel harness's pages have it already).
  await page.evaluate('globalThis.__name ??= (target) => target')
  await page.evaluate(installHelpers)
}

/** Every visible text of the page, as it is now. */
export async function checkTexts(page: Page): Promise<ContrastFinding[]> {
  await install(page)
  return page.evaluate(() => {
    const c = (window as unknown as { __contrast: Helpers }).__contrast
    return c.texts().map((t) => ({
      kind: 'text' as const,
      control: c.describe(t.el),
      text: t.text.slice(0, 60),
      color: c.css(t.fg),
      background: c.css(t.bg),
      ratio: c.ratio(t.fg, t.bg),
      needed: 4.5,
    }))
  })
}

/**
 * Each keyboard stop, reached with Tab from the top of the page: its focus indicator (an outline
 * that appears, or a border that changes colour, on the control or a part of it) against the
 * background around it, and its text while focused. `stops` limits how many Tabs are pressed.
 */
export async function checkFocus(page: Page, stops = 60): Promise<ContrastFinding[]> {
  await install(page)
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
  const findings: ContrastFinding[] = []
  const seen = new Set<string>()
  for (let i = 0; i < stops; i++) {
    await page.keyboard.press('Tab')
    const step = await page.evaluate(() => {
      const c = (window as unknown as { __contrast: Helpers }).__contrast
      // The control is the element in the page's own DOM (a custom element hosting the focused part).
      const active = document.activeElement
      if (!active || active === document.body) return undefined
      const key = c.describe(active) + (active.id ? '' : `@${[...document.querySelectorAll('*')].indexOf(active)}`)
      // An SVG control (a graph's node) shows focus on its shapes: they are parts too.
      const parts = [
        active,
        ...(active.shadowRoot ? c.allElements(active.shadowRoot) : []),
        ...(active instanceof SVGElement ? active.querySelectorAll('*') : []),
      ]
      // Each part's outline and border now, to compare with the same parts once focus moves on.
      const look = (el: Element) => {
        const s = getComputedStyle(el)
        return {
          outline: s.outlineStyle !== 'none' && Number.parseFloat(s.outlineWidth) >= 1 ? s.outlineColor : '',
          offset: Number.parseFloat(s.outlineOffset) || 0,
          border: s.borderTopStyle !== 'none' && Number.parseFloat(s.borderTopWidth) >= 1 ? s.borderTopColor : '',
          stroke: el instanceof SVGElement && s.stroke !== 'none' && Number.parseFloat(s.strokeWidth) >= 1 ? `${s.stroke} ${s.strokeWidth}` : '',
        }
      }
      const focused = parts.map(look)
      const w = window as unknown as { __focusedParts?: { parts: Element[]; focused: ReturnType<typeof look>[] } }
      w.__focusedParts = { parts, focused }
      const texts = c
        .texts(active)
        .map((t) => ({ control: c.describe(t.el), text: t.text.slice(0, 60), color: c.css(t.fg), background: c.css(t.bg), ratio: c.ratio(t.fg, t.bg) }))
      return { key, control: c.describe(active), texts }
    })
    if (!step) continue
    if (seen.has(step.key)) break
    seen.add(step.key)
    for (const t of step.texts) findings.push({ kind: 'focused text', ...t, needed: 4.5 })
    // Unfocused, the control's parts are compared with how they were focused.
    await page.evaluate(() => {
      let active = document.activeElement as HTMLElement | null
      while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement as HTMLElement
      active?.blur()
      ;(document.activeElement as HTMLElement | null)?.blur()
    })
    const indicator = await page.evaluate((control) => {
      const c = (window as unknown as { __contrast: Helpers }).__contrast
      const w = window as unknown as { __focusedParts: { parts: Element[]; focused: { outline: string; offset: number; border: string; stroke: string }[] } }
      const { parts, focused } = w.__focusedParts
      const candidates: { ratio: number; color: string; background: string; part: Element }[] = []
      parts.forEach((part, i) => {
        const s = getComputedStyle(part)
        const now = {
          outline: s.outlineStyle !== 'none' && Number.parseFloat(s.outlineWidth) >= 1 ? s.outlineColor : '',
          border: s.borderTopStyle !== 'none' && Number.parseFloat(s.borderTopWidth) >= 1 ? s.borderTopColor : '',
          stroke: part instanceof SVGElement && s.stroke !== 'none' && Number.parseFloat(s.strokeWidth) >= 1 ? `${s.stroke} ${s.strokeWidth}` : '',
        }
        const was = focused[i]
        let color: string | undefined
        let around: number[]
        if (was.outline && was.outline !== now.outline) {
          color = was.outline
          // An outline drawn inside the control sits on its background; outside, on what is around it.
          around = was.offset < 0 ? c.background(part) : c.background(c.flatParent(part))
        } else if (was.border && was.border !== now.border) {
          color = was.border
          around = c.background(c.flatParent(part))
        } else if (was.stroke && was.stroke !== now.stroke && part instanceof SVGElement) {
          // A shape's stroke (colour or width) that changes with focus, against what the shape is drawn on.
          color = was.stroke.replace(/\)[^)]*$/, ')')
          around = c.svgBackground(part)
        } else return
        const fg = c.over(c.parse(color), around)
        candidates.push({ ratio: c.ratio(fg, around), color: c.css(fg), background: c.css(around), part })
      })
      if (candidates.length === 0) return { control, text: '', color: 'none', background: '', ratio: 0 }
      const best = candidates.sort((a, b) => b.ratio - a.ratio)[0]
      return { control: c.describe(best.part), text: '', color: best.color, background: best.background, ratio: best.ratio }
    }, step.control)
    findings.push({ kind: 'focus indicator', ...indicator, needed: 3 })
    // Back to where the Tab order was.
    await page.evaluate(() => (window as unknown as { __focusedParts: { parts: HTMLElement[] } }).__focusedParts.parts[0].focus())
  }
  return findings
}

export function report(findings: ContrastFinding[]): ContrastReport {
  const failures = findings.filter((f) => f.ratio < f.needed)
  const lowest = [...findings].sort((a, b) => a.ratio / a.needed - b.ratio / b.needed)[0]
  return { checked: findings.length, lowest, failures }
}
