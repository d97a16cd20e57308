// The grammar of syntaxes/ on lines of the shipped scenes, tokenised as
// VS Code does (vscode-textmate with the Oniguruma engine): the text
// markup and the condition language inside the RON strings get their
// scopes. Run by scripts/editor-vscode.sh.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const textmate = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const repo = path.join(__dirname, '..', '..', '..');
const grammarPath = path.join(__dirname, '..', 'syntaxes', 'callister.tmLanguage.json');

async function grammar() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () =>
      textmate.parseRawGrammar(fs.readFileSync(grammarPath, 'utf8'), grammarPath),
  });
  return registry.loadGrammar('source.callister');
}

// Every line of a shipped file with its tokens, the state carried from
// line to line as an editor carries it (scene texts span lines).
function tokenise(g, file) {
  const lines = fs.readFileSync(path.join(repo, file), 'utf8').split('\n');
  let stack = textmate.INITIAL;
  return lines.map((text) => {
    const r = g.tokenizeLine(text, stack);
    stack = r.ruleStack;
    return { text, tokens: r.tokens };
  });
}

// The scopes of the first token holding `piece` on the first line holding
// `line` (the piece at or after `from`).
function scopes(lines, line, piece) {
  const found = lines.find((l) => l.text.includes(line));
  assert.ok(found, `no line with ${JSON.stringify(line)}`);
  const at = found.text.indexOf(piece, found.text.indexOf(line));
  assert.ok(at >= 0, `no ${JSON.stringify(piece)} on ${JSON.stringify(found.text)}`);
  const token = found.tokens.find((t) => t.startIndex <= at && at < t.endIndex);
  return token.scopes;
}

function has(list, scope, what) {
  assert.ok(
    list.some((s) => s.startsWith(scope)),
    `${what}: expected ${scope} in ${JSON.stringify(list)}`,
  );
}

test('markup and conditions in the lighthouse', async () => {
  const g = await grammar();
  const lines = tokenise(g, 'examples/lighthouse/shore.ron');
  const markup = 'A gull watches you from a post. {if oil > 0}';
  has(scopes(lines, markup, 'if'), 'keyword.control.conditional.if', '{if');
  has(scopes(lines, markup, 'oil'), 'variable.other.state', 'the condition of {if');
  has(scopes(lines, markup, '>'), 'keyword.operator.comparison', '>');
  has(scopes(lines, markup, '0}'), 'constant.numeric', 'a number');
  has(scopes(lines, markup, 'A gull'), 'string.quoted.other.raw', 'prose');
  has(scopes(lines, 'the gauge says {oil}', 'oil}'), 'variable.other.interpolated', '{oil}');
  has(scopes(lines, '{else}Your lamp is dry', 'else'), 'keyword.control.conditional.else', '{else}');
  has(scopes(lines, 'Your lamp is dry.{end}', 'end}'), 'keyword.control.conditional.end', '{end}');
  const when = 'when: "has key"';
  has(scopes(lines, when, 'has'), 'support.function.condition', 'has');
  has(scopes(lines, when, 'key"'), 'variable.other.state', 'an item');
  has(scopes(lines, when, 'when'), 'variable.other.property', 'a field');
  has(scopes(lines, 'When("alive gull", 20)', 'alive'), 'support.function.condition', 'alive');
  has(scopes(lines, 'Give("key")', 'Give'), 'support.function.effect', 'an effect');
  has(scopes(lines, 'goto: "shed"', 'shed'), 'string.quoted.double', 'a scene id');
  has(scopes(lines, 'kind: Good', 'Good'), 'constant.language.ending-kind', 'an ending kind');
});

test('the shipped story', async () => {
  const g = await grammar();
  const lines = tokenise(g, 'scenes/act1.ron');
  const line = '{if skipped_prologue}Daly is dead.';
  has(scopes(lines, line, 'if'), 'keyword.control.conditional.if', '{if');
  has(scopes(lines, line, 'skipped_prologue'), 'variable.other.state', 'a flag');
  has(scopes(lines, line, 'Daly'), 'string.quoted.other.raw', 'prose after {if}');
  has(scopes(lines, 'when: "a1_mark_whale"', 'a1_mark_whale'), 'meta.condition', 'a when');
  has(scopes(lines, "{first}Gribble's prices", 'first'), 'keyword.control.conditional.first', '{first}');
  const act3 = tokenise(g, 'scenes/act3.ron');
  const seq = "{seq: There's a drone vendor";
  has(scopes(act3, seq, 'seq'), 'keyword.control.variation', '{seq:');
  has(scopes(act3, seq, 'drone'), 'meta.embedded.markup.variation', 'a variation\'s item');
  // A comment is a comment, whatever it holds.
  const comments = lines.filter((l) => l.text.trim().startsWith('//'));
  assert.ok(comments.length > 0, 'the shipped story has comments');
  for (const c of comments) {
    has(c.tokens[c.tokens.length - 1].scopes, 'comment', c.text);
  }
});
