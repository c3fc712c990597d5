import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import { describe, test } from 'node:test';
import { COMPARATORS, type FieldName } from '../../src/mpi/comparators.js';
import { decide } from '../../src/mpi/decision.js';
import { DEFAULT_MODEL } from '../../src/mpi/defaults.js';
import { compileModel, scorePair } from '../../src/mpi/model.js';
import { distinctForms } from '../../src/mpi/name-comparators.js';
import { namDifference } from '../../src/mpi/nam.js';
import { nameTokens, splitSuffix } from '../../src/mpi/normalise.js';
import { compact, matchRecordOf, NAM_SYSTEM, type MatchRecord } from '../../src/mpi/record.js';

/**
 * Each variant of the same person's name, date or NAM that sources produce (issue #15), with its
 * negative: the look-alike that is another person (twins, a father and his son, spouses).
 */
let n = 0;
const rec = (given: string, family: string | string[], extra: Partial<MatchRecord> = {}): MatchRecord =>
  compact({
    id: `v${++n}`,
    given: nameTokens(given),
    family: (Array.isArray(family) ? family : [family]).map((f) => nameTokens(f)).filter((t) => t.length > 0),
    ...extra,
  }) as unknown as MatchRecord;
const level = (field: FieldName, a: MatchRecord, b: MatchRecord) => COMPARATORS[field].compare(a, b);
const given = (a: string, b: string) => level('given', rec(a, 'x'), rec(b, 'x'));
const family = (a: string | string[], b: string | string[]) => level('family', rec('x', a), rec('x', b));
const compiled = compileModel(DEFAULT_MODEL);

const patient = (family: string, given: string[], extra: Partial<Patient> = {}): Patient => ({
  resourceType: 'Patient', id: `p${++n}`, name: [{ family, given }], birthDate: '1978-04-12', gender: 'male', ...extra,
});

describe('name suffixes (Jr, fils, II, Sr) are taken out and weighed apart', () => {
  test('a suffix after the family or given name, or in HumanName.suffix, becomes the suffix field', () => {
    assert.deepEqual(splitSuffix(['tremblay', 'jr']), { tokens: ['tremblay'], suffix: 'jr' });
    assert.deepEqual(splitSuffix(['jr']), { tokens: ['jr'] }, 'a name is never emptied');
    const inFamily = matchRecordOf(patient('Tremblay Jr', ['Jean']));
    const inGiven = matchRecordOf(patient('Tremblay', ['Jean', 'fils']));
    const declared = matchRecordOf(patient('Tremblay', ['Jean'], { name: [{ family: 'Tremblay', given: ['Jean'], suffix: ['Jr.'] }] }));
    const roman = matchRecordOf(patient('Tremblay II', ['Jean']));
    for (const r of [inFamily, inGiven, declared, roman]) {
      assert.deepEqual(r.family, [['tremblay']]);
      assert.deepEqual(r.given, ['jean']);
      assert.equal(r.suffix, 'jr');
    }
    assert.equal(matchRecordOf(patient('Tremblay', ['Jean', 'père'])).suffix, 'sr');
    assert.equal(matchRecordOf(patient('Tremblay III', ['Jean'])).suffix, 'iii');
  });
  test('a suffix in one source only is no evidence; Jr against Sr disagrees', () => {
    const jr = matchRecordOf(patient('Tremblay Jr', ['Jean']));
    const plain = matchRecordOf(patient('Tremblay', ['Jean']));
    const sr = matchRecordOf(patient('Tremblay', ['Jean'], { name: [{ family: 'Tremblay', given: ['Jean'], suffix: ['Sr'] }] }));
    assert.equal(level('suffix', jr, plain), null);
    assert.equal(level('given', jr, plain), 0);
    assert.equal(level('family', jr, plain), 0);
    assert.equal(level('suffix', jr, matchRecordOf(patient('Tremblay', ['Jean', 'fils']))), 0);
    assert.equal(level('suffix', jr, sr), 1);
  });
  test('a father and his son (Sr/Jr, same name, address, even the same NAM) are never linked automatically', () => {
    const home = { postalCode: 'H2X1Y4', phone: '5145550199', street: '12 rue saint denis', city: 'montreal', sex: 'male' };
    const father = rec('Jean', 'Tremblay', { ...home, birthDate: '1950-04-12', suffix: 'sr', nam: 'TREJ50041211' });
    const son = rec('Jean', 'Tremblay', { ...home, birthDate: '1978-09-30', suffix: 'jr', nam: 'TREJ50041211' });
    const d = decide(son, [{ record: father, personId: 'P1', score: scorePair(compiled, son, father) }], DEFAULT_MODEL);
    assert.notEqual(d.kind, 'link');
    // Without suffixes at all: the birth years a generation apart keep them apart, the shared NAM
    // encoding only the father's date does not vouch for the son.
    const sonPlain = { ...son, suffix: undefined, id: 'son2' } as MatchRecord;
    const fatherPlain = { ...father, suffix: undefined, id: 'father2' } as MatchRecord;
    const d2 = decide(sonPlain, [{ record: fatherPlain, personId: 'P1', score: scorePair(compiled, sonPlain, fatherPlain) }], DEFAULT_MODEL);
    assert.notEqual(d2.kind, 'link');
  });
});

describe('compound and hyphenated names, compared part by part', () => {
  test('given: hyphen or space, a part dropped, a second given name dropped', () => {
    assert.equal(given('Jean-François', 'Jean François'), 0);
    assert.equal(given('Jean-François', 'JEAN FRANCOIS'), 0);
    assert.equal(given('JeanFrançois', 'Jean-François'), 0);
    assert.equal(given('Marie-Ève', 'Marie'), 1);
    assert.equal(given('Marie-Ève', 'Ève'), 1);
    assert.equal(given('Jean-François', 'Jean'), 1);
    assert.equal(given('Sophie Anne', 'Sophie'), 1);
  });
  test('given negatives: two compounds sharing only a part, masculine and feminine forms', () => {
    assert.equal(given('Marie-Ève', 'Marie-Claude'), 4);
    assert.equal(given('Jean-François', 'Jean-Philippe'), 4);
    for (const [a, b] of [['Jean', 'Jeanne'], ['Louis', 'Louise'], ['Daniel', 'Danielle'], ['François', 'Françoise'], ['Michel', 'Michelle'], ['Alexis', 'Alexia'], ['Léo', 'Léa']] as const) {
      assert.equal(given(a, b), 4, `${a}/${b}`);
      assert.ok(distinctForms(nameTokens(a).join(''), nameTokens(b).join('')));
    }
  });
  test('family: hyphen or space, a compound reduced to one part, a shared part', () => {
    assert.equal(family('Côté-Roy', 'Côté Roy'), 0);
    assert.equal(family('Côté-Roy', 'COTE ROY'), 0);
    assert.equal(family('Côté-Roy', 'Côté'), 2);
    assert.equal(family('Côté-Roy', 'Roy'), 2);
    assert.equal(family('Côté-Roy', 'Roy-Gagnon'), 3, 'two compounds sharing one part: weaker');
    assert.equal(family('Côté', 'Gagnon'), 4);
  });
});

describe('Saint/St/Ste, accents and capitals', () => {
  test('every spelling of Saint and Sainte is the same name', () => {
    for (const b of ['St-Pierre', 'St Pierre', 'ST-PIERRE', 'Saint Pierre', 'St. Pierre', 'Stpierre', 'STPIERRE']) {
      assert.equal(family('Saint-Pierre', b), 0, b);
    }
    assert.equal(family('Sainte-Marie', 'Ste-Marie'), 0);
    assert.equal(family('Sainte-Marie', 'Stemarie'), 0);
    assert.ok((family('Saint-Pierre', 'Sainte-Marie') as number) >= 3);
  });
  test('accents and capitals never matter', () => {
    assert.equal(family('Bélanger', 'BELANGER'), 0);
    assert.equal(given('Hélène', 'HELENE'), 0);
    assert.equal(given('Gaëtan', 'gaetan'), 0);
  });
});

describe('nicknames and short forms', () => {
  test('listed short forms are the same name; an unlisted different name is not', () => {
    assert.equal(given('Robert', 'Bob'), 1);
    assert.equal(given('William', 'Bill'), 1);
    assert.equal(given('Joseph', 'Jos'), 1);
    assert.equal(given('Elizabeth Anne', 'Liz'), 1);
    assert.equal(given('Robert', 'Richard'), 4);
    assert.equal(given('Bob', 'Bill'), 4);
  });
});

describe('dates of birth with typos and swaps', () => {
  const dob = (a: string, b: string, ea: Partial<MatchRecord> = {}, eb: Partial<MatchRecord> = {}) =>
    level('birthDate', rec('x', 'y', { birthDate: a, ...ea }), rec('x', 'y', { birthDate: b, ...eb }));
  test('day/month swapped, a day or month keystroke, a year keystroke, two of three, different', () => {
    assert.equal(dob('1980-03-07', '1980-07-03'), 1);
    assert.equal(dob('1980-03-07', '1980-03-17'), 1);
    assert.equal(dob('1980-03-07', '1980-08-07'), 1);
    assert.equal(dob('1978-03-07', '1987-03-07'), 2, 'year digits transposed');
    assert.equal(dob('1978-03-07', '1979-03-07'), 2);
    assert.equal(dob('1980-03-07', '1980-11-23'), 4);
    assert.equal(dob('1980-03-07', '1950-03-07'), 2, 'one keystroke, however far: the parent/child guard decides');
    assert.equal(dob('1980-03-07', '1980-12-25'), 4);
    assert.equal(dob('1980-03-07', '1955-11-23'), 4);
  });
  test('a year with its last two digits swapped is a typo, not a father and his son', () => {
    const home = { postalCode: 'H2X1Y4', phone: '5145550199', street: '12 rue saint denis', city: 'montreal', sex: 'male' };
    const a = rec('Jean', 'Tremblay', { ...home, birthDate: '1958-03-07' });
    const b = rec('Jean', 'Tremblay', { ...home, birthDate: '1985-03-07' });
    assert.equal(decide(b, [{ record: a, personId: 'P1', score: scorePair(compiled, b, a) }], DEFAULT_MODEL).kind, 'link');
    const son = rec('Jean', 'Tremblay', { ...home, birthDate: '1980-03-07' });
    assert.notEqual(decide(son, [{ record: a, personId: 'P1', score: scorePair(compiled, son, a) }], DEFAULT_MODEL).kind, 'link', 'born on his father’s birthday, 22 years later');
  });
  test('a difference the record’s own NAM shows to be a typo', () => {
    // The NAM encodes 1980-03-17 (a woman: month + 50); the record holding it says 1980-03-27.
    assert.equal(dob('1980-03-27', '1980-03-17', { nam: 'TREM80531712' }), 1);
    assert.equal(dob('1980-03-27', '1980-05-17', { nam: 'TREM80531712' }), 4, 'the NAM encodes neither date');
  });
});

describe('NAM: one character off against a different number, and what it encodes', () => {
  const nam = (x: string, y: string, extra: Partial<MatchRecord> = {}) => level('nam', rec('x', 'y', { nam: x, ...extra }), rec('x', 'y', { nam: y, ...extra }));
  test('where the difference falls', () => {
    assert.equal(namDifference('TREM80531712', 'TREM80531713'), 'check');
    assert.equal(namDifference('TREM80531712', 'TREM80531722'), 'sequence');
    assert.equal(namDifference('TREM80531712', 'TRAM80531712'), 'letters');
    assert.equal(namDifference('TREM80531712', 'TREM80531812'), 'date');
  });
  test('a typo in the check digit, the letters or the date is one character off; the sequence character is another person', () => {
    assert.equal(nam('TREM80531712', 'TREM80531712'), 0);
    assert.equal(nam('TREM80531712', 'TREM80531719'), 1, 'check digit only');
    assert.equal(nam('TREM80531712', 'TRAM80531712'), 1);
    assert.equal(nam('TREM80531712', 'TREM80351712'), 1, 'two date digits swapped, dates of birth agreeing');
    assert.equal(nam('TREM80531712', 'TREM80531722'), 2, 'sequence character: namesakes or twins born the same day');
    assert.equal(nam('TREM80531712', 'GAGN75121501'), 2);
    assert.equal(level('nam', rec('x', 'y', { nam: 'TREM80531712', birthDate: '1980-03-17' }), rec('x', 'y', { nam: 'TREM80531812', birthDate: '1980-03-18' })), 2,
      'each number encodes its own holder’s date: two people');
    assert.equal(nam('123456789', '123456788'), 1, 'other identifiers: one character off');
  });
  test('another given-name initial, each its own record’s, is another person even with the same check digit', () => {
    const a = rec('Clara', 'Fortin', { nam: 'FORC07510819', birthDate: '2007-01-08' });
    const b = rec('Pierrette-Cécile', 'Fortin', { nam: 'FORP07510819', birthDate: '2007-01-08' });
    assert.equal(level('nam', a, b), 2, 'twins');
    assert.equal(level('nam', a, rec('Clara', 'Fortin', { nam: 'FORP07510819', birthDate: '2007-01-08' })), 1, 'a typo in the initial');
  });
  test('a NAM one keystroke off vouches for one differing key field, not for a twin', () => {
    const home = { postalCode: 'H2X1Y4', phone: '5145550199', street: '12 rue saint denis', city: 'montreal', sex: 'female' as const };
    const a = rec('Naomi', 'Boyes', { ...home, nam: '1125271', birthDate: '1976-05-22' });
    const b = rec('Madeline', 'Boyes', { ...home, nam: '1125721', birthDate: '1976-05-22' });
    assert.equal(decide(b, [{ record: a, personId: 'P1', score: scorePair(compiled, b, a) }], DEFAULT_MODEL).kind, 'link', 'another identifier with two digits swapped');
    const c = rec('Madeline', 'Boyes', { ...home, nam: '1125272', birthDate: '1976-05-22' });
    assert.notEqual(decide(c, [{ record: a, personId: 'P1', score: scorePair(compiled, c, a) }], DEFAULT_MODEL).kind, 'link', 'consecutive numbers: twins registered one after the other');
    const far = rec('Madeline', 'Boyes', { ...home, nam: '1185271', birthDate: '1976-05-22' });
    assert.equal(decide(far, [{ record: a, personId: 'P1', score: scorePair(compiled, far, a) }], DEFAULT_MODEL).kind, 'link', 'one digit mistyped far from the end');
    const twin1 = rec('Clara', 'Fortin', { ...home, nam: 'FORC07510819', birthDate: '2007-01-08' });
    const twin2 = rec('Pierrette-Cécile', 'Fortin', { ...home, nam: 'FORP07510819', birthDate: '2007-01-08' });
    assert.notEqual(decide(twin2, [{ record: twin1, personId: 'P1', score: scorePair(compiled, twin2, twin1) }], DEFAULT_MODEL).kind, 'link');
  });
  test('the sex a record’s own NAM encodes overrides a contradicting sex field', () => {
    const a = rec('Marie', 'Tremblay', { sex: 'male', nam: 'TREM80531712' });
    const b = rec('Marie', 'Tremblay', { sex: 'female' });
    assert.equal(level('sex', a, b), null);
    assert.equal(level('sex', rec('Luc', 'Roy', { sex: 'male', nam: 'ROYL80031712' }), b), 1);
  });
});

describe('the twins rule', () => {
  const home = { postalCode: 'H2X1Y4', phone: '5145550199', street: '12 rue saint denis', city: 'montreal' };
  const pair = (a: MatchRecord, b: MatchRecord) => decide(b, [{ record: a, personId: 'P1', score: scorePair(compiled, b, a) }], DEFAULT_MODEL);
  test('same surname, birth date, address and phone, no NAM: look-alike given names are not linked', () => {
    for (const [x, y] of [['Mathis', 'Mathias'], ['Jean', 'Jeanne'], ['Alexis', 'Alexia'], ['Marc-Antoine', 'Marc-André'], ['Luc', 'Marc']] as const) {
      const a = rec(x, 'Roy', { ...home, birthDate: '2001-06-01', sex: 'male' });
      const b = rec(y, 'Roy', { ...home, birthDate: '2001-06-01', sex: 'male' });
      assert.notEqual(pair(a, b).kind, 'link', `${x}/${y}`);
      if (x !== 'Mathis') assert.ok(scorePair(compiled, b, a).weight < DEFAULT_MODEL.upper, `${x}/${y} weighs against a link`);
    }
  });
  test('opposite sex: not linked even when the given names agree', () => {
    const a = rec('Dominique', 'Roy', { ...home, birthDate: '2001-06-01', sex: 'male' });
    const b = rec('Dominique', 'Roy', { ...home, birthDate: '2001-06-01', sex: 'female' });
    const d = pair(a, b);
    assert.ok(d.kind !== 'link');
  });
  test('the same person with a given-name typo is linked when the NAM agrees', () => {
    const a = rec('Stéphanie', 'Roy', { ...home, birthDate: '2001-06-01', sex: 'female', nam: 'ROYS01560111' });
    const b = rec('Stephanei', 'Roy', { ...home, birthDate: '2001-06-01', sex: 'female', nam: 'ROYS01560111' });
    assert.equal(pair(a, b).kind, 'link');
  });
  test('a slip of the fingers in the given name (swap, doubled letter, neighbouring key) is linked on demographics alone', () => {
    for (const [x, y] of [['Sylvie', 'Sylvei'], ['Karine', 'Karinne'], ['Suzanne', 'Suzanme'], ['Véronique', 'Verlnique'], ['Anne-Sophie', 'Anne-Sophhie'], ['Émilien', 'Enilien']] as const) {
      assert.equal(given(x, y), 1, `${x}/${y}`);
      const a = rec(x, 'Roy', { ...home, birthDate: '1970-10-31', sex: 'female' });
      const b = rec(y, 'Roy', { ...home, birthDate: '1970-10-31', sex: 'female' });
      assert.equal(pair(a, b).kind, 'link', `${x}/${y}`);
    }
  });
  test('look-alike names of twins are not slips: a letter added, another vowel, another ending, a first letter', () => {
    for (const [x, y] of [['Mathis', 'Mathias'], ['Liam', 'Lyam'], ['Noémie', 'Noélie'], ['Léo', 'Léon'], ['Alexis', 'Alexia'], ['Michel', 'Michelle'], ['Lina', 'Luna'], ['Marc', 'Narc']] as const) {
      assert.ok((given(x, y) ?? 0) > 1, `${x}/${y}`);
      const a = rec(x, 'Roy', { ...home, birthDate: '2001-06-01', sex: 'male' });
      const b = rec(y, 'Roy', { ...home, birthDate: '2001-06-01', sex: 'male' });
      assert.notEqual(pair(a, b).kind, 'link', `${x}/${y}`);
    }
    assert.equal(distinctForms('anne', 'anne'), false, 'a name is not a distinct form of itself');
  });
  test('the same person with a compound given name reduced is linked on demographics alone', () => {
    const a = rec('Marie-Ève', 'Côté-Roy', { ...home, birthDate: '1985-02-11', sex: 'female' });
    const b = rec('Marie', 'Côté', { ...home, birthDate: '1985-02-11', sex: 'female' });
    assert.equal(pair(a, b).kind, 'link');
  });
  test('spouses (same married name and address, different given name and date) are not linked', () => {
    const a = rec('Sylvie', ['Gagnon', 'Tremblay'], { ...home, birthDate: '1961-08-02', sex: 'female' });
    const b = rec('Réjean', 'Tremblay', { ...home, birthDate: '1958-01-20', sex: 'male' });
    assert.equal(pair(a, b).kind, 'new');
  });
});

test('a Patient with a NAM identifier keeps its suffix and NAM apart', () => {
  const r = matchRecordOf(patient('Roy fils', ['Luc'], { identifier: [{ system: NAM_SYSTEM, value: 'ROYL 7804 1211' }] }));
  assert.equal(r.nam, 'ROYL78041211');
  assert.equal(r.suffix, 'jr');
  assert.deepEqual(r.family, [['roy']]);
});
