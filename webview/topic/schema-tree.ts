/**
 * The topic's schema as a tree (role=tree) with each field's type: structs and arrays of structs
 * open and close. Keyboard as in VS Code's trees: Up/Down move, Right opens (or goes to the first
 * child), Left closes (or goes to the parent), Home/End, Enter/Space toggle.
 */
import { h } from '../shared/dom'
import type { SchemaNode } from '../shared/protocol'

export interface SchemaTreeOptions {
  /** Paths (`a/b/c`) of the open nodes. */
  expanded: Set<string>
  onToggle(path: string, open: boolean): void
}

export function schemaTree(nodes: SchemaNode[], options: SchemaTreeOptions): HTMLElement {
  const tree = h('ul', { class: 'schema-tree', role: 'tree', 'aria-label': 'Schema' })
  const render = () => {
    tree.replaceChildren(...nodes.map((node) => item(node, node.name, 1)))
    const items = visibleItems(tree)
    const focused = items.find((i) => i.tabIndex === 0) ?? items[0]
    if (focused) focused.tabIndex = 0
  }
  const item = (node: SchemaNode, path: string, level: number): HTMLElement => {
    const parent = node.children.length > 0
    const open = parent && options.expanded.has(path)
    const label = h(
      'span',
      { class: 'schema-row' },
      h('span', { class: 'twisty', 'aria-hidden': 'true' }, parent ? (open ? '▾' : '▸') : ''),
      h('span', { class: 'field' }, node.name),
      h('span', { class: 'type' }, node.type),
      node.nullable ? null : h('span', { class: 'muted' }, ' not null'),
      node.hint ? h('span', { class: 'hint-badge', title: "Typed by the source's schemaHints in the pipeline file" }, 'from hint') : null,
    )
    const li = h(
      'li',
      {
        role: 'treeitem',
        tabindex: -1,
        'aria-level': level,
        'data-path': path,
        'aria-expanded': parent ? String(open) : null,
        'aria-label': `${node.name}: ${node.type}${node.nullable ? '' : ', not null'}${node.hint ? ', from hint' : ''}`,
      },
      label,
    )
    if (open)
      li.append(
        h(
          'ul',
          { role: 'group' },
          node.children.map((child) => item(child, `${path}/${child.name}`, level + 1)),
        ),
      )
    return li
  }
  const toggle = (li: HTMLElement, open: boolean) => {
    const path = li.dataset.path!
    if (li.getAttribute('aria-expanded') === null || (li.getAttribute('aria-expanded') === 'true') === open) return
    if (open) options.expanded.add(path)
    else options.expanded.delete(path)
    options.onToggle(path, open)
    render()
    focus(tree.querySelector<HTMLElement>(`li[data-path="${CSS.escape(path)}"]`))
  }
  const focus = (li: HTMLElement | null | undefined) => {
    if (!li) return
    for (const other of tree.querySelectorAll<HTMLElement>('li[role=treeitem]')) other.tabIndex = -1
    li.tabIndex = 0
    li.focus()
  }
  tree.addEventListener('click', (event) => {
    const li = (event.target as HTMLElement).closest<HTMLElement>('li[role=treeitem]')
    if (!li) return
    event.stopPropagation()
    toggle(li, li.getAttribute('aria-expanded') !== 'true')
    focus(tree.querySelector<HTMLElement>(`li[data-path="${CSS.escape(li.dataset.path!)}"]`))
  })
  tree.addEventListener('keydown', (event: KeyboardEvent) => {
    const li = (event.target as HTMLElement).closest<HTMLElement>('li[role=treeitem]')
    if (!li) return
    const items = visibleItems(tree)
    const index = items.indexOf(li)
    const expanded = li.getAttribute('aria-expanded')
    switch (event.key) {
      case 'ArrowDown':
        focus(items[index + 1])
        break
      case 'ArrowUp':
        focus(items[index - 1])
        break
      case 'Home':
        focus(items[0])
        break
      case 'End':
        focus(items.at(-1))
        break
      case 'ArrowRight':
        if (expanded === 'false') toggle(li, true)
        else if (expanded === 'true') focus(li.querySelector<HTMLElement>('li[role=treeitem]'))
        break
      case 'ArrowLeft':
        if (expanded === 'true') toggle(li, false)
        else focus(li.parentElement?.closest<HTMLElement>('li[role=treeitem]'))
        break
      case 'Enter':
      case ' ':
        if (expanded !== null) toggle(li, expanded !== 'true')
        break
      default:
        return
    }
    event.preventDefault()
  })
  render()
  return tree
}

function visibleItems(tree: HTMLElement): HTMLElement[] {
  return [...tree.querySelectorAll<HTMLElement>('li[role=treeitem]')]
}
