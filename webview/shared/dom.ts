/**
 * Building DOM from data without ever parsing data as HTML. Every string given as a child becomes
 * a Text node, attributes are set one by one, and there is no way to pass markup: a payload such
 * as `<img src=x onerror=...>` or `</script>` ends up on screen as those characters.
 */

type Child = Node | string | number | null | undefined | false | Child[]
export type Attributes = Record<string, string | number | boolean | null | undefined>

/** `h('td', { class: 'num', 'aria-label': label }, value)`; false/null/undefined attributes are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes?: Attributes | null, ...children: Child[]): HTMLElementTagNameMap[K]
export function h(tag: string, attributes?: Attributes | null, ...children: Child[]): HTMLElement
export function h(tag: string, attributes?: Attributes | null, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag)
  setAttributes(element, attributes)
  append(element, children)
  return element
}

const SVG = 'http://www.w3.org/2000/svg'

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes?: Attributes | null, ...children: Child[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag)
  setAttributes(element, attributes)
  append(element, children)
  return element
}

function setAttributes(element: Element, attributes?: Attributes | null): void {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    // Event handler attributes would be code; handlers are attached with addEventListener only.
    if (/^on/i.test(name)) throw new Error(`h(): attribute '${name}' is not allowed; use addEventListener`)
    if (value === false || value === null || value === undefined) continue
    element.setAttribute(name, value === true ? '' : String(value))
  }
}

function append(parent: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    if (Array.isArray(child)) append(parent, child)
    else parent.append(typeof child === 'object' ? child : document.createTextNode(String(child)))
  }
}

/** Replace an element's children. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

/** The element with this id, which the panel's HTML is known to contain. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id)
  if (!element) throw new Error(`the panel's page has no #${id}`)
  return element as T
}
