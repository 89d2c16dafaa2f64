import { withoutPytestBanner } from '../../../scripts/fuzz';

// CI readers take a pytest banner with no "passed" in it as a run that executed no test: the
// schemathesis step printed "=== 2 warnings in 5.77s ===" and a green CI run was read as empty.
describe('fuzz output', () => {
  it('when schemathesis prints pytest banners, then they become plain rules', () => {
    expect(
      withoutPytestBanner(
        '============================= 2 warnings in 5.77s ==============================',
      ),
    ).toBe('-- 2 warnings in 5.77s --');
    expect(
      withoutPytestBanner(
        '=================================== SUMMARY ====================================',
      ),
    ).toBe('-- SUMMARY --');
  });

  it('when a line is not a banner, then it is printed as it is', () => {
    expect(withoutPytestBanner('  663 generated, 663 passed')).toBe('  663 generated, 663 passed');
    expect(withoutPytestBanner('a == b')).toBe('a == b');
  });
});
