/**
 * One letter whole, as text: its Kafka coordinates, key and headers, the decoder's reason and
 * detail with the place where decoding failed (line, column and a caret under the text around
 * it), the value as text or as a hex dump, and what it decodes to now. Nothing here is parsed as
 * HTML: every value becomes a text node (shared/dom.ts).
 */
import { h } from '../shared/dom'
import { formatCount } from '../shared/format'
import type { FailurePositionInfo, LetterDecoded, LetterDetail } from '../shared/protocol'

/** `00000010  7b 22 69 64 …  {"id…`: 16 bytes a line, offset, hex, and the printable ASCII ('.' for the rest). */
export function hexDump(hex: string): string {
  const lines: string[] = []
  for (let at = 0; at < hex.length; at += 32) {
    const bytes = (hex.slice(at, at + 32).match(/../g) ?? []).map((b) => Number.parseInt(b, 16))
    const hexPart = bytes
      .map((b) => b.toString(16).padStart(2, '0'))
      .join(' ')
      .padEnd(47)
    const ascii = bytes.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('')
    lines.push(`${(at / 2).toString(16).padStart(8, '0')}  ${hexPart}  ${ascii}`)
  }
  return lines.join('\n')
}

/** The text around the failure and a caret under its character (tabs as spaces, so the caret stays under it). */
export function caretLines(position: FailurePositionInfo): string {
  return `${position.context.replace(/\t/g, ' ')}\n${' '.repeat(position.caret)}^`
}

export function decodedText(now: LetterDecoded): string {
  if (now.type === 'row') return JSON.stringify(now.value, null, 2)
  if (now.type === 'tombstone') return 'a tombstone (a null value): no row'
  return `still fails: ${now.reason}${now.detail ? `: ${now.detail}` : ''}`
}

const fact = (term: string, ...value: (Node | string)[]) => [h('dt', null, term), h('dd', null, ...value)]

export function letterFacts(letter: LetterDetail): HTMLElement {
  const s = letter.summary
  const headers = Object.entries(letter.headers)
  return h(
    'dl',
    { class: 'facts', 'aria-label': 'Where the message was' },
    fact('Topic', s.topic),
    fact('Partition', String(s.partition)),
    fact('Offset', s.offset),
    fact('Time', s.timestamp ?? '—'),
    fact('Key', letter.key === null ? h('span', { class: 'muted' }, 'null') : letter.key),
    fact(
      'Headers',
      headers.length === 0
        ? h('span', { class: 'muted' }, 'none')
        : h(
            'table',
            { class: 'data headers', 'aria-label': 'Headers' },
            h(
              'tbody',
              null,
              headers.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, v === null ? h('span', { class: 'muted' }, 'null') : v))),
            ),
          ),
    ),
    fact(
      'State',
      s.state +
        (s.rawVersion !== null ? ` into version ${s.rawVersion}` : '') +
        (s.producedTo !== null ? ` to ${s.producedTo}` : '') +
        (s.note ? `: ${s.note}` : ''),
    ),
  )
}

export function failureView(letter: LetterDetail): HTMLElement {
  const s = letter.summary
  const position = letter.position
  return h(
    'section',
    { class: 'failure', 'aria-label': 'Why decoding failed' },
    h('h3', null, 'Error'),
    h('p', { class: 'reason' }, h('code', null, s.reason), s.detail ? `: ${s.detail}` : ''),
    position
      ? [
          h('p', { class: 'position' }, `Line ${position.line}, column ${position.column} (character ${formatCount(position.at)})`),
          h('pre', { class: 'caret', 'aria-label': 'The text around the failure, a caret under it' }, caretLines(position)),
        ]
      : h('p', { class: 'muted' }, 'The decoder names no position in the value.'),
  )
}

/** The value as text, or as a hex dump (`hex`, or always when it is not printable UTF-8). */
export function valueView(letter: LetterDetail, hex: boolean): HTMLElement {
  if (letter.size === null) return h('pre', { class: 'value', id: 'value' }, 'null (a tombstone)')
  const asHex = hex || letter.text === null
  return h(
    'pre',
    { class: asHex ? 'value hex' : 'value', id: 'value', 'aria-label': asHex ? 'The value in hex' : 'The value as text' },
    asHex ? hexDump(letter.hex ?? '') : letter.text,
  )
}

export function valueHeading(letter: LetterDetail, hex: boolean): string {
  if (letter.size === null) return 'Value'
  const bytes = `${formatCount(letter.size)} byte${letter.size === 1 ? '' : 's'}`
  const shownBytes = (letter.hex ?? '').length / 2
  if (shownBytes < letter.size) return `Value (${bytes}, too large to show whole: its first ${formatCount(shownBytes)} bytes in hex)`
  if (letter.text === null) return `Value (${bytes}, hex: not printable UTF-8 text)`
  return `Value (${bytes}${hex ? ', hex' : ''})`
}
