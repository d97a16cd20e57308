-- Callister for Neovim (0.7 or later): starts `callister lsp` for the `.ron`
-- files of a story directory (the nearest directory above a file that
-- holds a `story.ron`) and attaches it to them, one server per story.
--
-- Put this file in `~/.config/nvim/plugin/`, or `:luafile` it. The binary
-- is `callister` on your PATH, or `vim.g.callister_command`.
local servers = {}

local function attach(args)
  local buf = args.buf
  local file = vim.api.nvim_buf_get_name(buf)
  if file == '' or file:match('%.plan%.ron$') then
    return
  end
  local found = vim.fn.findfile('story.ron', vim.fn.fnamemodify(file, ':p:h') .. ';')
  if found == '' then
    return
  end
  local root = vim.fn.fnamemodify(found, ':p:h')
  local id = servers[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client({
      name = 'callister',
      cmd = { vim.g.callister_command or 'callister', 'lsp', root },
      root_dir = root,
    })
    servers[root] = id
  end
  if id ~= nil then
    vim.lsp.buf_attach_client(buf, id)
  end
end

vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
  pattern = '*.ron',
  callback = attach,
})
