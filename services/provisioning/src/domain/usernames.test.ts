import { freeCandidate, MAX_CANDIDATES, usernameBase, usernameCandidate } from './usernames';

const SERVICE = '0193a1b2-0000-7000-8000-000000000501';

describe('panel user names', () => {
  it('takes up to 8 lower-case letters and digits of the first label', () => {
    expect(usernameBase('Ada-Example.com', SERVICE)).toBe('adaexamp');
    expect(usernameBase('shop.example.co.uk', SERVICE)).toBe('shop');
  });

  it('never starts with a digit or with "test"', () => {
    expect(usernameBase('123hosting.com', SERVICE)).toBe('hosting');
    expect(usernameBase('testsite.com', SERVICE)).toBe('utestsit');
  });

  it('falls back to a name from the service id when the domain gives too little', () => {
    expect(usernameBase('42.com', SERVICE)).toMatch(/^u[a-f]{1,6}$/);
    expect(usernameBase(null, SERVICE)).toBe(usernameBase(null, SERVICE));
  });

  it('makes room for a number in later candidates, staying within 8 characters', () => {
    expect(usernameCandidate('adaexamp', 0)).toBe('adaexamp');
    expect(usernameCandidate('adaexamp', 1)).toBe('adaexam1');
    expect(usernameCandidate('adaexamp', 12)).toBe('adaexa12');
    expect(usernameCandidate('shop', 3)).toBe('shop3');
    for (let n = 0; n < 200; n++) expect(usernameCandidate('adaexamp', n)).toMatch(/^[a-z][a-z0-9]{0,7}$/);
  });

  it('finds a free candidate past a hundred taken ones, and says when there is none', () => {
    const taken = new Set(Array.from({ length: 150 }, (_, n) => usernameCandidate('shop', n)));
    expect(freeCandidate('shop', taken)).toBe('shop150');
    expect(freeCandidate('shop', new Set(), 7)).toBe('shop7');
    const all = new Set(Array.from({ length: MAX_CANDIDATES }, (_, n) => usernameCandidate('ab', n)));
    expect(freeCandidate('ab', all)).toBeUndefined();
    for (let n = 0; n < MAX_CANDIDATES; n += 997)
      expect(usernameCandidate('adaexamp', n).startsWith('adae')).toBe(true);
  });
});
