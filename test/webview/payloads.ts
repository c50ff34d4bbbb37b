/**
 * Untrusted text the panels must show as text: markup that would run script if it were ever
 * parsed as HTML (an inline handler, and a closing script tag followed by a script). If either
 * runs it sets `window.__xss`, which the tests check stays undefined.
 */
export const XSS_IMG = '<img src=x onerror="window.__xss=1">'
export const XSS_SCRIPT = '</script><script>window.__xss=2</script>'
