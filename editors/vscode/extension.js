// The Callister extension: starts `callister lsp` for the story files of
// the workspace, and VS Code's language client does the rest (diagnostics,
// definitions, completion, hover, rename, symbols, quick fixes). The
// highlighting is the grammar in syntaxes/.
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('callister').get('path') || 'callister';
  const server = { command, args: ['lsp'] };
  client = new LanguageClient(
    'callister',
    'Callister',
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: 'file', language: 'callister-ron' }],
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher('**/*.ron'),
      },
    },
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
