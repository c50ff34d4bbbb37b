/**
 * A small context menu (role=menu) for the grids: opened by right-click, Shift+F10 or the Menu key,
 * used with the mouse or the keyboard (Up/Down/Home/End move, Enter/Space choose, Escape closes
 * and returns focus). The webview's own menu (cut/copy/paste of page text) is not what a grid
 * user wants, so the grid's replaces it.
 */
import { h } from './dom'

export interface MenuItem {
  label: string
  /** The key that does the same, shown at the right. */
  shortcut?: string
  disabled?: boolean
  run(): void
}

export type MenuEntry = MenuItem | 'separator'

let current: { menu: HTMLElement; returnTo: Element | null } | undefined

export function openContextMenu(entries: MenuEntry[], at: { x: number; y: number }, label: string): HTMLElement {
  closeContextMenu()
  const returnTo = document.activeElement
  const menu = h('div', { class: 'context-menu', role: 'menu', 'aria-label': label, id: 'context-menu' })
  const items: HTMLElement[] = []
  for (const entry of entries) {
    if (entry === 'separator') {
      menu.append(h('div', { class: 'context-menu-separator', role: 'separator' }))
      continue
    }
    const item = h(
      'div',
      { class: 'context-menu-item', role: 'menuitem', tabindex: -1, 'aria-disabled': entry.disabled ? 'true' : null },
      h('span', null, entry.label),
      entry.shortcut ? h('span', { class: 'context-menu-shortcut' }, entry.shortcut) : null,
    )
    const choose = () => {
      if (entry.disabled) return
      // Focus goes back first: an action that opens something (the viewer) returns there after.
      closeContextMenu()
      entry.run()
    }
    item.addEventListener('click', choose)
    item.addEventListener('keydown', (event: KeyboardEvent) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault()
        choose()
      }
    })
    item.addEventListener('mousemove', () => item.focus({ preventScroll: true }))
    items.push(item)
    menu.append(item)
  }
  menu.addEventListener('keydown', (event: KeyboardEvent) => {
    event.stopPropagation()
    const at = items.indexOf(document.activeElement as HTMLElement)
    const move = (to: number) => {
      event.preventDefault()
      items[(to + items.length) % items.length]?.focus()
    }
    if (event.key === 'ArrowDown') move(at + 1)
    else if (event.key === 'ArrowUp') move(at - 1)
    else if (event.key === 'Home') move(0)
    else if (event.key === 'End') move(items.length - 1)
    else if (event.key === 'Escape' || event.key === 'Tab') {
      event.preventDefault()
      closeContextMenu()
    }
  })
  document.body.append(menu)
  // Inside the window: flipped left or up when it would overflow.
  const { width, height } = menu.getBoundingClientRect()
  menu.style.left = `${Math.max(0, Math.min(at.x, window.innerWidth - width - 4))}px`
  menu.style.top = `${Math.max(0, at.y + height > window.innerHeight ? at.y - height : at.y)}px`
  items.find((i) => i.getAttribute('aria-disabled') !== 'true')?.focus()
  setTimeout(() => document.addEventListener('mousedown', outside, true))
  current = { menu, returnTo }
  return menu
}

function outside(event: MouseEvent): void {
  if (current && !current.menu.contains(event.target as Node)) closeContextMenu(false)
}

export function closeContextMenu(restoreFocus = true): void {
  if (!current) return
  document.removeEventListener('mousedown', outside, true)
  const { menu, returnTo } = current
  current = undefined
  menu.remove()
  if (restoreFocus && returnTo instanceof HTMLElement) returnTo.focus({ preventScroll: true })
}
