/** The de-identification profiles `$export?_profile=` accepts (docs/research.md). */
export const PROFILE_NAMES: ReadonlySet<string> = new Set<string>();
