/**
 * Every import of src/ and webview/, read with the TypeScript compiler's parser (no type-check, no
 * emit): static imports, `export … from`, `import x = require()`, dynamic `import('…')` and
 * `require('…')` calls with a literal name. Relative names are resolved to files as the bundler
 * does (`./x` → x.ts or x/index.ts); package names are kept as written.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import * as path from 'node:path'
import ts from 'typescript'

export interface ImportEdge {
  /** The importing file, relative to the repository root with forward slashes. */
  from: string
  /** The imported file (relative to the root) or package name as written. */
  to: string
  /** A package (node_modules or node:) rather than a file of the repository. */
  external: boolean
  /** Erased from the JavaScript: `import type`, `export type`, or every named binding marked `type`. */
  typeOnly: boolean
  /**
   * The names imported or re-exported, as the imported module exports them (`{ a as b }` → a);
   * '*' for a namespace import or `export *`; empty when unknown (a default import, `require`).
   */
  names: string[]
  line: number
}

/** The .ts files under the given folders (declaration files left out: they hold no imports that run). */
export function sourceFiles(root: string, folders: string[]): string[] {
  const found: string[] = []
  const visit = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name)
      if (statSync(full).isDirectory()) visit(full)
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) found.push(full)
    }
  }
  for (const folder of folders) if (existsSync(path.join(root, folder))) visit(path.join(root, folder))
  return found.map((file) => toPosix(path.relative(root, file))).sort()
}

const toPosix = (file: string) => file.split(path.sep).join('/')

function resolveRelative(root: string, from: string, specifier: string): string {
  const base = path.join(root, path.dirname(from), specifier)
  for (const candidate of [base, `${base}.ts`, path.join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return toPosix(path.relative(root, candidate))
  }
  // Unresolvable (a file being moved): keep the written path so that it still shows in a report.
  return toPosix(path.relative(root, base))
}

/** Whether an import declaration brings in nothing but types. */
function importIsTypeOnly(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause
  if (!clause) return false // `import './x'`: runs the module
  if (clause.isTypeOnly) return true
  if (clause.name) return false
  const bindings = clause.namedBindings
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly)
}

function exportIsTypeOnly(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true
  const clause = node.exportClause
  return !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly)
}

/** What an import declaration takes from its module, by the module's own names. */
function importedNames(node: ts.ImportDeclaration): string[] {
  const bindings = node.importClause?.namedBindings
  if (!bindings) return []
  if (ts.isNamespaceImport(bindings)) return ['*']
  return bindings.elements.map((e) => (e.propertyName ?? e.name).text)
}

function exportedNames(node: ts.ExportDeclaration): string[] {
  const clause = node.exportClause
  if (!clause || ts.isNamespaceExport(clause)) return ['*']
  return clause.elements.map((e) => (e.propertyName ?? e.name).text)
}

export function readImports(root: string, file: string): ImportEdge[] {
  const text = readFileSync(path.join(root, file), 'utf8')
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const edges: ImportEdge[] = []
  const add = (specifier: string, node: ts.Node, typeOnly: boolean, names: string[] = []) => {
    const external = !specifier.startsWith('.')
    edges.push({
      from: file,
      to: external ? specifier : resolveRelative(root, file, specifier),
      external,
      typeOnly,
      names,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
    })
  }
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node, importIsTypeOnly(node), importedNames(node))
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node, exportIsTypeOnly(node), exportedNames(node))
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      add(node.moduleReference.expression.text, node, node.isTypeOnly)
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteralLike(node.arguments[0])) {
      const dynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword
      const requireCall = ts.isIdentifier(node.expression) && node.expression.text === 'require'
      if (dynamicImport || requireCall) add(node.arguments[0].text, node, false)
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, node, true) // `typeof import('x')` in a type
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return edges
}

/** Strongly connected components of more than one file (or a file importing itself): the import cycles. */
export function importCycles(edges: ImportEdge[]): string[][] {
  const graph = new Map<string, Set<string>>()
  for (const edge of edges) {
    if (edge.external) continue
    if (!graph.has(edge.from)) graph.set(edge.from, new Set())
    graph.get(edge.from)!.add(edge.to)
  }
  // Tarjan's algorithm, iterative so that a long chain cannot overflow the stack.
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const onStack = new Set<string>()
  const stack: string[] = []
  const cycles: string[][] = []
  for (const start of graph.keys()) {
    if (index.has(start)) continue
    const work: { node: string; next: Iterator<string> }[] = []
    const open = (node: string) => {
      index.set(node, counter)
      low.set(node, counter++)
      stack.push(node)
      onStack.add(node)
      work.push({ node, next: (graph.get(node) ?? new Set<string>()).values() })
    }
    open(start)
    while (work.length) {
      const top = work[work.length - 1]
      const step = top.next.next()
      if (!step.done) {
        const target = step.value
        if (!index.has(target)) open(target)
        else if (onStack.has(target)) low.set(top.node, Math.min(low.get(top.node)!, index.get(target)!))
        continue
      }
      work.pop()
      if (work.length) low.set(work[work.length - 1].node, Math.min(low.get(work[work.length - 1].node)!, low.get(top.node)!))
      if (low.get(top.node) === index.get(top.node)) {
        const component: string[] = []
        let member: string
        do {
          member = stack.pop()!
          onStack.delete(member)
          component.push(member)
        } while (member !== top.node)
        if (component.length > 1 || graph.get(top.node)?.has(top.node)) cycles.push(component.sort())
      }
    }
  }
  return cycles.sort((a, b) => a[0].localeCompare(b[0]))
}
