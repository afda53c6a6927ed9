/**
 * Tokens for the lexical docs index: lower-case words, a light suffix stemmer, compounds of adjacent
 * words ("sign up" → "signup", so it meets "signup"), and a small synonym table so developers'
 * words ("log in", "2FA", "passwordless") meet the guides' words. Documents and queries share it.
 */
const STOP = new Set(
  'a an and are as at be by can do does for from how i if in into is it its me my of on or so that the their then this to use using we what when where which while who why will with you your should would could'.split(' '),
);

// Canonical forms after stemming.
const SYNONYMS: Record<string, string> = {
  signin: 'signin', login: 'signin', logon: 'signin', loggedin: 'signin', logingin: 'signin', signon: 'signin',
  signout: 'signout', logout: 'signout', logoff: 'signout', loggedout: 'signout',
  register: 'signup', registr: 'signup', registration: 'signup', signup: 'signup', createaccount: 'signup',
  '2fa': 'mfa', totp: 'mfa', twofactor: 'mfa', otp: 'mfa', authenticator: 'mfa', multifactor: 'mfa',
  passwordless: 'magiclink', magic: 'magic',
  oauth2: 'oauth', sso: 'social',
  invit: 'invitation', invite: 'invitation', invitation: 'invitation',
  edit: 'update', modify: 'update', chang: 'update', change: 'update',
  remov: 'delete', remove: 'delete', erase: 'delete',
  photo: 'avatar', picture: 'avatar', pic: 'avatar',
  author: 'owner', creator: 'owner', own: 'owner',
  apikey: 'apikey', secretkey: 'apikey', publishablekey: 'apikey',
  jwt: 'token', bearer: 'token',
  env: 'environment', envvar: 'environment',
  rls: 'rowlevel',
  err: 'error', errors: 'error',
  deploy: 'deployment', deploi: 'deployment',
};

export function stem(word: string): string {
  let w = word;
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith('sses')) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us')) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  if (w.length > 5 && w.endsWith('e')) w = w.slice(0, -1);
  return SYNONYMS[w] ?? w;
}

export function tokenize(text: string): string[] {
  const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word.length > 40) continue;
    if (!STOP.has(word)) out.push(stem(word));
    // Compound with the next word: "sign up" / "sign-up" meet "signup", "magic link" → "magiclink".
    const next = words[i + 1];
    if (next !== undefined && word.length + next.length <= 24 && !/^\d+$/.test(word) && !/^\d+$/.test(next)) {
      const compound = SYNONYMS[`${word}${next}`] ?? SYNONYMS[stem(`${word}${next}`)];
      if (compound) out.push(compound);
      else if (COMPOUNDS.has(`${word}${next}`)) out.push(`${word}${next}`);
    }
  }
  return out;
}

// Two-word terms worth a token of their own (only these, so the index stays small).
const COMPOUNDS = new Set([
  'magiclink', 'apikey', 'rowlevel', 'accesstoken', 'refreshtoken', 'passwordreset', 'resetpassword',
  'emailverification', 'verifyemail', 'dataapi', 'singleflight', 'rolebased', 'userid', 'createdby',
]);
