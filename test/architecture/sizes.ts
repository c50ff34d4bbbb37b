/**
 * File and function sizes of a source tree, read with the TypeScript compiler's parser: the
 * numbers behind STYLE.md's "small files with one concern" (issue 17: no file in src/ over ~400
 * lines, no function over ~120).
 */
import { readFileSync } from 'node:fs'
import * as path from 'node:path'
import ts from 'typescript'

export interface SizedFunction {
  file: string
  name: string
  line: number
  /** Its lines, less those of the functions written inside it (they are measured on their own). */
  lines: number
}

function functionName(node: ts.Node, source: ts.SourceFile): string {
  const named = (node as { name?: ts.Node }).name
  if (named) return named.getText(source)
  const parent = node.parent
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(source)
  if (ts.isCallExpression(parent)) return `(callback of ${parent.expression.getText(source).slice(0, 40)})`
  return '(anonymous)'
}

/**
 * Every function, method, accessor and arrow function of `file`, with its own length in lines: a
 * factory of handlers is as long as its own code, each handler is measured as a function of its own.
 */
export function functionSizes(root: string, file: string): SizedFunction[] {
  const text = readFileSync(path.join(root, file), 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const found: SizedFunction[] = []
  const span = (node: ts.Node) =>
    source.getLineAndCharacterOfPosition(node.getEnd()).line - source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1
  /** Visits `node`'s subtree; returns the lines taken by the outermost functions in it. */
  const visit = (node: ts.Node): number => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
      let nested = 0
      ts.forEachChild(node, (child) => {
        nested += visit(child)
      })
      const lines = span(node)
      found.push({ file, name: functionName(node, source), line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, lines: lines - nested })
      return lines
    }
    let inside = 0
    ts.forEachChild(node, (child) => {
      inside += visit(child)
    })
    return inside
  }
  visit(source)
  return found
}

export function lineCount(root: string, file: string): number {
  return readFileSync(path.join(root, file), 'utf8').replace(/\n$/, '').split('\n').length
}
