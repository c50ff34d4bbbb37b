/** The Python files of src/export/python/, imported as their text (esbuild's text loader). */
declare module '*.py' {
  const text: string
  export default text
}
