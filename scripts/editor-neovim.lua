-- The end-to-end test of `callister lsp` in a real editor (run by
-- scripts/editor-neovim.sh): headless Neovim has a scene file of the
-- lighthouse open through editors/neovim/callister.lua; this makes a typo,
-- reads the diagnostic back through Neovim's own LSP client, goes to a
-- definition, fixes the typo and sees the diagnostic go.
local buf = vim.api.nvim_get_current_buf()
local timeout = 20000

local function fail(message)
  io.stderr:write('editor-neovim: FAIL: ' .. message .. '\n')
  vim.cmd('cquit 1')
end

local function say(message)
  io.stdout:write('editor-neovim: ' .. message .. '\n')
end

local function client()
  for _, c in pairs(vim.lsp.buf_get_clients(buf)) do
    if c.name == 'callister' and c.initialized then
      return c
    end
  end
  return nil
end

if not vim.wait(timeout, function() return client() ~= nil end, 50) then
  fail('callister lsp did not attach to ' .. vim.api.nvim_buf_get_name(buf))
end
say('attached to ' .. vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ':t'))

-- Where a string is on a line: its 0-based row and the column of its
-- first character after `offset`.
local function find(text, offset)
  for row, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local at = line:find(text, 1, true)
    if at then
      return row - 1, at - 1 + offset
    end
  end
  fail('no `' .. text .. '` in the buffer')
end

-- The typo: `goto: "flats"` becomes `goto: "flatz"`.
local row, col = find('goto: "flats"', 7)
vim.api.nvim_buf_set_text(buf, row, col, row, col + 5, { 'flatz' })
local found = nil
vim.wait(timeout, function()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.message:find('unknown scene `flatz`', 1, true) then
      found = d
      return true
    end
  end
  return false
end, 50)
if found == nil then
  fail('no diagnostic for the typo')
end
if found.lnum ~= row or found.col ~= col then
  fail(('the diagnostic is at %d:%d, the typo at %d:%d'):format(found.lnum, found.col, row, col))
end
if not found.message:find('did you mean `flats`?', 1, true) then
  fail('no did-you-mean in: ' .. found.message)
end
say(('diagnostic at %d:%d: %s'):format(found.lnum + 1, found.col + 1, found.message:gsub('\n', ' | ')))

-- Go to the definition of the `shed` of `goto: "shed"`, through the
-- client's own handler: the cursor lands on the scene's id.
local goto_row, goto_col = find('goto: "shed"', 7)
local def_row = find('id: "shed"', 5)
vim.api.nvim_win_set_cursor(0, { goto_row + 1, goto_col + 1 })
local params = vim.lsp.util.make_position_params()
local responses = vim.lsp.buf_request_sync(buf, 'textDocument/definition', params, timeout)
local location = nil
for _, response in pairs(responses or {}) do
  location = response.result
end
if location == nil or location.range == nil then
  fail('no definition: ' .. vim.inspect(responses))
end
if location.range.start.line ~= def_row then
  fail(('the definition is on line %d, the scene on line %d'):format(location.range.start.line + 1, def_row + 1))
end
vim.lsp.buf.definition()
if not vim.wait(timeout, function() return vim.api.nvim_win_get_cursor(0)[1] == def_row + 1 end, 50) then
  fail('go to definition left the cursor on line ' .. vim.api.nvim_win_get_cursor(0)[1])
end
say(('definition of `shed`: line %d'):format(def_row + 1))

-- The fix: the diagnostic goes.
vim.api.nvim_buf_set_text(buf, row, col, row, col + 5, { 'flats' })
if not vim.wait(timeout, function() return #vim.diagnostic.get(buf) == 0 end, 50) then
  fail('the diagnostic stayed after the fix: ' .. vim.inspect(vim.diagnostic.get(buf)))
end
say('fixed: no diagnostics')
vim.cmd('qall!')
