import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMPARATORS } from '../../src/mpi/comparators.js';
import { joinedName, nameTokens, normaliseDate, normaliseIdentifier, normalisePhone, normalisePostalCode } from '../../src/mpi/normalise.js';
import { frenchPhonetic } from '../../src/mpi/phonetic.js';
import { compact, type MatchRecord } from '../../src/mpi/record.js';
import { editDistance, jaroWinkler } from '../../src/mpi/strings.js';

const person = (given: string, family: string | string[], extra: Partial<MatchRecord> = {}): MatchRecord =>
  compact({
    id: `${given}-${String(family)}`,
    given: nameTokens(given),
    family: (Array.isArray(family) ? family : [family]).map((f) => nameTokens(f)).filter((t) => t.length > 0),
    ...extra,
  }) as unknown as MatchRecord;

describe('French name normalisation', () => {
  const same: [string, string][] = [
    ['Côté', 'COTE'],
    ['Lévesque', 'levesque'],
    ["D'Amour", 'Damour'],
    ["D'Amour", 'D Amour'],
    ['Saint-Pierre', 'St-Pierre'],
    ['Saint-Pierre', 'ST PIERRE'],
    ['Sainte-Marie', 'Ste-Marie'],
    ['McDonald', 'MacDonald'],
    ['Mc Donald', 'MacDonald'],
    ['Bélanger', 'Belanger'],
    ['Marie-Ève', 'Marie Eve'],
    ['Œuvrard', 'Oeuvrard'],
    ["O'Neil", 'ONeil'],
  ];
  for (const [a, b] of same) {
    test(`${a} ≡ ${b}`, () => assert.equal(joinedName(a), joinedName(b)));
  }

  test('compound names split into parts, apostrophes join', () => {
    assert.deepEqual(nameTokens("St-Jean D'Arc"), ['saint', 'jean', 'darc']);
    assert.deepEqual(nameTokens('Jean-François'), ['jean', 'francois']);
    assert.deepEqual(nameTokens('  '), []);
  });

  const phonetic: [string, string][] = [
    ['Thibodeau', 'Thibodeault'], ['Tremblay', 'Trembley'], ['Tremblay', 'Tremblé'], ['Arsenault', 'Arseneau'],
    ['Philippe', 'Filipe'], ['Gauthier', 'Gautier'], ['Caron', 'Carron'], ['Fortin', 'Fortain'], ['Simard', 'Simmard'],
    ['Deschênes', 'Dechesne'], ['Pelletier', 'Peltier'], ['Lefebvre', 'Lefebvre'],
  ];
  for (const [a, b] of phonetic) {
    test(`phonetic key: ${a} ~ ${b}`, () => assert.equal(frenchPhonetic(joinedName(a)), frenchPhonetic(joinedName(b))));
  }
  test('phonetic key separates different names', () => {
    assert.notEqual(frenchPhonetic('tremblay'), frenchPhonetic('gagnon'));
    assert.notEqual(frenchPhonetic('bouchard'), frenchPhonetic('boucher'));
  });
});

describe('other normalisers', () => {
  test('postal codes, phones, identifiers, dates', () => {
    assert.equal(normalisePostalCode('h2x 1y4'), 'H2X1Y4');
    assert.equal(normalisePhone('+1 (514) 555-0199'), '5145550199');
    assert.equal(normalisePhone('12'), undefined);
    assert.equal(normaliseIdentifier('trem 5001-0112'), 'TREM50010112');
    assert.equal(normaliseDate('19151111'), '1915-11-11');
    assert.equal(normaliseDate('1980-13-01'), undefined);
    assert.equal(normaliseDate('1980-02-03T10:00:00Z'), '1980-02-03');
  });
});

describe('string measures', () => {
  test('Jaro–Winkler reference values', () => {
    assert.ok(Math.abs(jaroWinkler('martha', 'marhta') - 0.961) < 0.001);
    assert.ok(Math.abs(jaroWinkler('dwayne', 'duane') - 0.84) < 0.001);
    assert.equal(jaroWinkler('abc', 'abc'), 1);
    assert.equal(jaroWinkler('', 'abc'), 0);
  });
  test('edit distance counts a transposition as one edit and stops past max', () => {
    assert.equal(editDistance('19800203', '19800230'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('kitten', 'sitting', 1), 2);
  });
});

describe('comparators', () => {
  const given = (a: string, b: string) => COMPARATORS.given.compare(person(a, 'x'), person(b, 'x'));
  const family = (a: string | string[], b: string | string[]) => COMPARATORS.family.compare(person('x', a), person('x', b));

  test('given names: exact, compound part, typo, different', () => {
    assert.equal(given('Marie-Ève', 'marie eve'), 0);
    assert.equal(given('Stéphanie', 'Stephanei'), 1, 'two letters swapped: a slip of the fingers');
    assert.equal(given('Mathias', 'Mathis'), 2, 'a letter dropped: a typo or a twin’s name');
    assert.equal(given('Jean-François', 'Jean'), 1);
    assert.equal(given('Marie-Josée', 'Marie-Claude'), 4, 'sharing only "Marie" is two different women');
    assert.equal(given('Louis', 'Chantal'), 4);
    assert.equal(COMPARATORS.given.compare(person('', 'x'), person('Louis', 'x')), null);
  });

  test('family names: Saint/St, birth vs married name, compound names, particles', () => {
    assert.equal(family('St-Pierre', 'Saint Pierre'), 0);
    assert.equal(family(['Tremblay', 'Gagnon'], 'Gagnon'), 0, 'a married name matches the other record’s name');
    assert.equal(family('Tremblay-Gagnon', 'Gagnon'), 2, 'a double-barrelled name reduced to one part');
    assert.equal(family('De La Fontaine', 'Fontaine'), 0);
    assert.equal(family('Thibodeau', 'Thibodeault'), 1);
    assert.equal(family('Tremblay', 'Gagnon'), 4);
  });

  test('dates of birth: exact, day/month swap, one digit, two of three, different', () => {
    const dob = (a: string, b: string) => COMPARATORS.birthDate.compare(person('x', 'y', { birthDate: a }), person('x', 'y', { birthDate: b }));
    assert.equal(dob('1980-03-07', '1980-03-07'), 0);
    assert.equal(dob('1980-03-07', '1980-07-03'), 1);
    assert.equal(dob('1980-03-07', '1980-03-08'), 1);
    assert.equal(dob('1980-03-07', '1980-03-19'), 3);
    assert.equal(dob('1980-03-07', '1955-11-23'), 4);
  });

  test('NAM exact or one character off; postal code by area', () => {
    const nam = (a: string, b: string) => COMPARATORS.nam.compare(person('x', 'y', { nam: a }), person('x', 'y', { nam: b }));
    assert.equal(nam('TREM80030712', 'TREM80030712'), 0);
    assert.equal(nam('TREM80030712', 'TERM80030712'), 1);
    assert.equal(nam('TREM80030712', 'TREM80030721'), 2, 'the last two characters tell namesakes born the same day apart');
    assert.equal(nam('TREM80030712', 'GAGN75121501'), 2);
    const postal = (a: string, b: string) => COMPARATORS.postalCode.compare(person('x', 'y', { postalCode: a }), person('x', 'y', { postalCode: b }));
    assert.equal(postal('H2X1Y4', 'H2X3A1'), 1);
    assert.equal(postal('H2X1Y4', 'G1R2B5'), 2);
  });
});
