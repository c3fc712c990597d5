import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ebcdic, isValidNam, makeNam, namCheckDigit, namLetters, normaliseNamName, parseNam } from '../../src/generate/nam.js';

describe('NAM (numéro d’assurance maladie)', () => {
  test('letters: three of the surname at birth and one of the given name, normalised', () => {
    assert.equal(namLetters('Tremblay', 'Marie-Ève'), 'TREM');
    assert.equal(namLetters('Côté', 'Élise'), 'COTE');
    assert.equal(namLetters("O'Brien", 'Thomas'), 'OBRT');
    assert.equal(namLetters("D'Amour", 'Luc'), 'DAML');
    assert.equal(namLetters('Saint-Onge', 'Guy'), 'STOG');
    assert.equal(namLetters('St-Onge', 'Guy'), 'STOG');
    assert.equal(namLetters('Li', 'Wei'), 'LIXW', 'short surnames are padded with X');
    assert.equal(normaliseNamName('Sainte-Marie'), 'STMARIE');
  });

  test('EBCDIC codes of letters and digits', () => {
    assert.deepEqual(['A', 'I', 'J', 'R', 'S', 'Z', '0', '9'].map(ebcdic), [193, 201, 209, 217, 226, 233, 240, 249]);
    assert.throws(() => ebcdic('é'));
  });

  test('agrees with the published examples of the INSPQ Utilitaire NAM', () => {
    // Generation for nom "qwe", prénom "Aasd", M, 2010-01-01 lists QWEA10010110, QWEA10010121, …
    assert.equal(makeNam({ surname: 'qwe', givenName: 'Aasd', birthDate: '2010-01-01', sex: 'M' }), 'QWEA10010110');
    assert.equal(makeNam({ surname: 'qwe', givenName: 'Aasd', birthDate: '2010-01-01', sex: 'M', rank: 2 }), 'QWEA10010121');
    assert.equal(makeNam({ surname: 'qwe', givenName: 'Aasd', birthDate: '2010-01-01', sex: 'M', rank: 9 }), 'QWEA10010198');
    // Information on QWEA10510170: born 2010-01-01, female.
    assert.deepEqual(parseNam('QWEA10510170', 2026), { birthDate: '2010-01-01', sex: 'F' });
    // Validation example: ASDA20011313 is valid.
    assert.equal(isValidNam('ASDA20011313', 2026), true);
  });

  test('women have 50 added to the birth month', () => {
    const nam = makeNam({ surname: 'Gagnon', givenName: 'Lise', birthDate: '1952-11-03', sex: 'F' });
    assert.match(nam, /^GAGL526103\d\d$/);
    assert.deepEqual(parseNam(nam, 2026), { birthDate: '1952-11-03', sex: 'F' });
  });

  test('the century is resolved by the check digit for people over 100', () => {
    const nam = makeNam({ surname: 'Roy', givenName: 'Rita', birthDate: '1921-05-09', sex: 'F' });
    assert.deepEqual(parseNam(nam, 2026), { birthDate: '1921-05-09', sex: 'F' });
    const young = makeNam({ surname: 'Roy', givenName: 'Rose', birthDate: '2021-05-09', sex: 'F' });
    assert.deepEqual(parseNam(young, 2026), { birthDate: '2021-05-09', sex: 'F' });
  });

  test('rejects a wrong check digit, a transposition, an impossible date and a bad format', () => {
    const nam = makeNam({ surname: 'Lavoie', givenName: 'Marc', birthDate: '1975-08-21', sex: 'M' });
    const check = Number(nam.charAt(11));
    assert.equal(isValidNam(nam.slice(0, 11) + String((check + 1) % 10), 2026), false);
    assert.equal(isValidNam(`${nam.slice(0, 8)}${nam.charAt(9)}${nam.charAt(8)}${nam.slice(10)}`, 2026), false);
    assert.equal(isValidNam('LAVM75023010', 2026), false, 'February 30th');
    assert.equal(isValidNam('LAVM7508211', 2026), false);
    assert.equal(isValidNam('LAVM750821I1', 2026), false, 'I is not a distinguishing character');
    assert.equal(isValidNam(nam.toLowerCase(), 2026), true, 'case does not matter');
  });

  test('the check digit is the units digit of the weighted EBCDIC sum', () => {
    // Q W E A 2 0 1 0 M 0 1 0 1 1 with weights 1 3 7 9 1 7 1 3 4 5 7 6 9 1 sums to 14490.
    assert.equal(namCheckDigit('QWEA', 2010, 'M', 1, 1, '1'), 0);
    assert.equal(namCheckDigit('QWEA', 2010, 'F', 1, 1, '7'), 0);
  });
});
