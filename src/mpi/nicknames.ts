/**
 * Given-name variants that name the same person (pure): diminutives and usual short forms in Québec
 * French and English. Each group lists the forms as `nameTokens` folds them (no accents, lower case);
 * the first is the group's canonical form. A form belongs to one group only, so a lookup is exact.
 *
 * Deliberately short: a variant here turns a disagreement into an agreement, so only forms that are
 * unambiguous short forms of one name are listed (no "Alex": Alexandre, Alexis and Alexandra).
 */
const GROUPS: readonly (readonly string[])[] = [
  ['robert', 'bob', 'bobby', 'rob', 'robbie'],
  ['william', 'bill', 'billy', 'will', 'willy'],
  ['richard', 'dick', 'rick', 'richie'],
  ['james', 'jim', 'jimmy', 'jamie'],
  ['thomas', 'tom', 'tommy'],
  ['michael', 'mike', 'mikey'],
  ['joseph', 'jos', 'joe', 'joey'],
  ['elizabeth', 'liz', 'beth', 'betty', 'lizzie', 'eliza'],
  ['margaret', 'maggie', 'peggy', 'meg'],
  ['catherine', 'cathy', 'kathy', 'cath', 'kate', 'katie'],
  ['christopher', 'chris'],
  ['nicholas', 'nick', 'nicky'],
  ['daniel', 'dan', 'danny'],
  ['edward', 'ed', 'eddie', 'ted'],
  ['anthony', 'tony'],
  ['jennifer', 'jenny', 'jen'],
  ['patricia', 'patty', 'trish'],
  ['deborah', 'debbie', 'deb'],
  ['susan', 'sue', 'suzy'],
  ['frederic', 'fred', 'freddy'],
  ['benjamin', 'ben', 'benji'],
  ['samuel', 'sam', 'sammy'],
  ['maximilien', 'max'],
  ['emmanuel', 'manu'],
  ['dominique', 'dom'],
  ['gabriel', 'gab', 'gabi'],
  ['jonathan', 'jon', 'jonny'],
  ['joshua', 'josh'],
  ['dorothy', 'dot', 'dottie'],
  ['isabelle', 'isa', 'babette'],
  ['stephanie', 'steph'],
  ['valerie', 'val'],
  ['veronique', 'vero'],
  ['genevieve', 'gen'],
  ['francois', 'frank'],
  ['raymond', 'ray'],
  ['gerald', 'gerry'],
  ['lawrence', 'larry'],
  ['charles', 'charlie', 'chuck'],
  ['henry', 'harry', 'hank'],
  ['johnny', 'john', 'jack'],
  ['alfred', 'alf', 'fredo'],
  ['timothy', 'tim', 'timmy'],
  ['matthew', 'matt'],
  ['andrew', 'andy', 'drew'],
  ['steven', 'stephen', 'steve'],
  ['kenneth', 'ken', 'kenny'],
  ['donald', 'don', 'donnie'],
  ['ronald', 'ron', 'ronnie'],
  ['gregory', 'greg'],
  ['douglas', 'doug'],
  ['rebecca', 'becky'],
  ['victoria', 'vicky'],
  ['abigail', 'abby'],
];

const CANONICAL = new Map<string, string>();
for (const group of GROUPS) for (const form of group) CANONICAL.set(form, group[0] as string);

/** The canonical form of a given-name token (itself when it has no listed variant). */
export function canonicalGiven(token: string): string {
  return CANONICAL.get(token) ?? token;
}

/** Whether two different tokens are listed forms of the same name. */
export function sameNickname(a: string, b: string): boolean {
  const x = CANONICAL.get(a);
  return x !== undefined && x === CANONICAL.get(b);
}
