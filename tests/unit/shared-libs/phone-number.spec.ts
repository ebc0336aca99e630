import { expect } from 'chai';
import {
  normalize,
  regionForCallingCode,
  same,
  validate,
  type PhoneSettings,
} from '../../../shared-libs/phone-number/index.js';

// Rows ported from https://github.com/medic/cht-core/blob/master/shared-libs/phone-number/test/libphonenumber.spec.js.
const NZ: PhoneSettings = { default_country_code: 64 };
const NZ_NONE: PhoneSettings = { default_country_code: 64, phone_validation: 'none' };
const KE: PhoneSettings = { default_country_code: 254 };

interface NormalizeRow {
  name: string;
  settings: PhoneSettings;
  phone: unknown;
  expected: string | false;
}

const normalizeRows: NormalizeRow[] = [
  { name: 'NZ: already normalized', settings: NZ, phone: '+64275552636', expected: '+64275552636' },
  { name: 'NZ: US number kept despite NZ setting', settings: NZ, phone: '+15155556442', expected: '+15155556442' },
  { name: 'NZ: international needs no setting', settings: {}, phone: '+64275552636', expected: '+64275552636' },
  { name: 'NZ: adds country code', settings: NZ, phone: '0275552636', expected: '+64275552636' },
  { name: "NZ: short number with phone_validation 'none'", settings: NZ_NONE, phone: '4234', expected: '4234' },
  { name: 'NZ: domestic number without setting', settings: {}, phone: '0275552636', expected: false },
  { name: 'NZ: empty', settings: NZ, phone: '', expected: false },
  { name: 'NZ: invalid number', settings: NZ, phone: '5155556442123', expected: false },
  { name: 'NZ: one letter for one digit', settings: NZ, phone: '02755K2636', expected: false },
  { name: 'NZ: alpha number', settings: NZ, phone: '0275HHH636', expected: false },
  { name: 'NZ: three extra letters', settings: NZ, phone: '0275552kkk636', expected: false },
  { name: 'NZ: two trailing letters', settings: NZ, phone: '0275552636ff', expected: false },
  { name: 'NZ: two letters inside', settings: NZ, phone: '02755526ff36', expected: false },
  { name: 'NZ: invalid punctuation', settings: NZ, phone: '0275552<636>', expected: false },
  { name: 'NZ: only <>', settings: NZ, phone: '<>', expected: false },
  {
    name: 'NZ: removes spaces, brackets and dots',
    settings: NZ,
    phone: '+ 6 4 - 02 7.-.5.(55((2636.',
    expected: '+64275552636',
  },
  {
    name: 'NZ: removes punctuation and adds code',
    settings: NZ,
    phone: ' 0  2 7-..5.(55((26 36.',
    expected: '+64275552636',
  },
  { name: 'NZ: removes extra zero after code', settings: NZ, phone: '+640275552636', expected: '+64275552636' },
  { name: 'KE: national with trunk 0', settings: KE, phone: '0712345678', expected: '+254712345678' },
  { name: 'KE: spaced international', settings: KE, phone: '+254 712 345 678', expected: '+254712345678' },
  { name: 'KE: international without +', settings: KE, phone: '254712345678', expected: '+254712345678' },
  {
    name: "KE: code given as string '+254'",
    settings: { default_country_code: '+254' },
    phone: '0712345678',
    expected: '+254712345678',
  },
  { name: 'KE: letters', settings: KE, phone: '0712abc678', expected: false },
  { name: 'KE: too short', settings: KE, phone: '07123', expected: false },
  {
    name: 'KE: partial accepts possible',
    settings: { ...KE, phone_validation: 'partial' },
    phone: '0712345678',
    expected: '+254712345678',
  },
  { name: 'non-string: number', settings: KE, phone: 712345678, expected: false },
  { name: 'non-string: null', settings: KE, phone: null, expected: false },
  { name: 'non-string: object', settings: KE, phone: { phone: '0712345678' }, expected: false },
  {
    name: 'undefined settings, international number',
    settings: undefined as unknown as PhoneSettings,
    phone: '+254712345678',
    expected: '+254712345678',
  },
];

describe('shared-libs/phone-number', () => {
  describe('regionForCallingCode', () => {
    const rows: Array<[unknown, string | undefined]> = [
      [1, 'US'],
      ['44', 'GB'],
      [7, 'RU'],
      [254, 'KE'],
      ['+64', 'NZ'],
      [999, undefined],
      ['', undefined],
      [undefined, undefined],
    ];
    for (const [code, region] of rows) {
      it(`${String(code)} → ${String(region)}`, () => {
        expect(regionForCallingCode(code)).to.equal(region);
      });
    }
  });

  describe('normalize', () => {
    for (const row of normalizeRows) {
      it(row.name, () => {
        expect(normalize(row.settings, row.phone)).to.equal(row.expected);
      });
    }

    it('answers per settings: the same input under another country or validation mode is normalized again', () => {
      // Remembered answers (the cache in phone-number.ts) are keyed by the settings that shaped them.
      expect(normalize(NZ, '0275552636')).to.equal('+64275552636');
      expect(normalize({ default_country_code: 254 }, '0275552636')).to.equal(false);
      expect(normalize(NZ, '0275552636')).to.equal('+64275552636');
      expect(normalize(NZ, '4234')).to.equal(false);
      expect(normalize(NZ_NONE, '4234')).to.equal('4234');
      expect(normalize(NZ, '4234')).to.equal(false);
    });
  });

  describe('validate', () => {
    const rows: Array<{ name: string; settings: PhoneSettings; phone: unknown; valid: boolean }> = [
      { name: 'full: 123 invalid', settings: NZ, phone: '123', valid: false },
      {
        name: 'partial: 1234 impossible',
        settings: { ...NZ, phone_validation: 'partial' },
        phone: '1234',
        valid: false,
      },
      {
        name: 'partial: 123456 possible',
        settings: { ...NZ, phone_validation: 'partial' },
        phone: '123456',
        valid: true,
      },
      {
        name: 'partial: 1234567 possible',
        settings: { ...NZ, phone_validation: 'partial' },
        phone: '1234567',
        valid: true,
      },
      { name: 'none: 123', settings: NZ_NONE, phone: '123', valid: true },
      {
        name: 'unknown mode falls back to full',
        settings: { ...NZ, phone_validation: 'whatever' as 'full' },
        phone: '123',
        valid: false,
      },
      { name: 'none: letters still rejected', settings: NZ_NONE, phone: '12a', valid: false },
      { name: 'none: no digits', settings: NZ_NONE, phone: '--', valid: false },
      { name: 'empty', settings: NZ, phone: '', valid: false },
      { name: 'short', settings: NZ, phone: '223', valid: false },
      { name: 'invalid number', settings: NZ, phone: '5155556442123', valid: false },
      { name: 'letter for digit', settings: NZ, phone: '027555H636', valid: false },
      { name: 'no country code', settings: {}, phone: '0275552636', valid: false },
      { name: 'default country code', settings: NZ, phone: '0275552636', valid: true },
      { name: 'explicit country code', settings: {}, phone: '+64275552636', valid: true },
      { name: 'spaces', settings: NZ, phone: '02 75 55 26 36', valid: true },
      {
        name: 'spaces, brackets, dots, dashes',
        settings: { default_country_code: '1' },
        phone: '+   1 --(80.0 ()()55..6 -8725',
        valid: true,
      },
      { name: 'funky punctuation', settings: { default_country_code: '1' }, phone: '+1 <800> 556 8725', valid: false },
      { name: 'extra zero in international', settings: NZ, phone: '+640275552636', valid: true },
      { name: 'Uganda #2196 bad number', settings: { default_country_code: 256 }, phone: '+25601234', valid: false },
      { name: 'Kenya mobile', settings: KE, phone: '0712345678', valid: true },
    ];
    for (const row of rows) {
      it(row.name, () => {
        expect(validate(row.settings, row.phone)).to.equal(row.valid);
      });
    }
  });

  describe('same', () => {
    const rows: Array<{ name: string; a: unknown; b: unknown; same: boolean }> = [
      { name: 'different formats', a: '+640275552636', b: '64-27-555-2636', same: true },
      { name: 'different numbers', a: '+640275552637', b: '64-27-555-2636', same: false },
      { name: 'missing country code matches', a: '+41446681800', b: '446681800', same: true },
      { name: 'null and undefined', a: null, b: undefined, same: false },
      { name: 'Kenya: E.164 vs spaced', a: '+254712345678', b: '+254 712 345 678', same: true },
      { name: 'Kenya: E.164 vs national digits', a: '+254712345678', b: '712345678', same: true },
      { name: 'different country, same digits', a: '+254712345678', b: '+255712345678', same: false },
      { name: 'neither international, same digits', a: '0712-345-678', b: '0712345678', same: true },
      { name: 'neither international, different digits', a: '0712345678', b: '0712345679', same: false },
      { name: 'letters', a: '+254712345678', b: '+254712345abc', same: false },
      { name: 'empty strings', a: '', b: '', same: false },
      { name: 'last digits differ', a: '+254712345678', b: '+254712340000', same: false },
      { name: 'Arabic-Indic digits against ASCII', a: '+٢٥٤٧١٢٣٤٥٦٧٨', b: '+254712345678', same: true },
      { name: 'mixed scripts, same number', a: '+254 71234٥٦٧٨', b: '+254712345678', same: true },
      { name: 'short numbers compared as digits', a: '123', b: '0123', same: false },
    ];
    for (const row of rows) {
      it(row.name, () => {
        expect(same(row.a, row.b)).to.equal(row.same);
        expect(same(row.b, row.a)).to.equal(row.same);
      });
    }
  });
});
