/** What a grant lets the app do, in words: read only, or read and change (SMART v1 read/write/*, v2 cruds). */
export function reachOf(scope: string): 'read' | 'write' {
  const permissions = scope.split(/\s+/).filter((s) => /^(patient|user)\//.test(s)).map((s) => s.slice(s.lastIndexOf('.') + 1));
  return permissions.some((p) => p === 'write' || p === '*' || (/^[cruds]+$/.test(p) && /[cud]/.test(p))) ? 'write' : 'read';
}
