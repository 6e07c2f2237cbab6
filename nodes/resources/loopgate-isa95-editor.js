/* Loopgate palette: editor shared by the ISA-95 object nodes (runs in the Node-RED editor). */
/* global RED, $ */
(function () {
  'use strict';
  if (window.LoopgateIsa95Editor) return;

  var VALUE_TYPES = ['msg', 'flow', 'global', 'str', 'num', 'bool', 'json', 'jsonata', 'env'];

  function escapeHtml(text) {
    return $('<div>').text(String(text)).html();
  }

  function fieldRow(field, index) {
    var id = 'node-input-' + field.name;
    // The first field is the object's own id, marked with a tag icon.
    var icon = index === 0 ? '<i class="fa fa-tag"></i> ' : '';
    return (
      '<div class="form-row"><label for="' +
      id +
      '">' +
      icon +
      escapeHtml(field.label) +
      '</label><input type="text" id="' +
      id +
      '" style="width: 70%" /><input type="hidden" id="' +
      id +
      'Type" /></div>'
    );
  }

  function template(options) {
    return [
      '<div class="form-row"><label for="node-input-hierarchy"><i class="fa fa-sitemap"></i> Hierarchy</label><input type="text" id="node-input-hierarchy" /></div>',
      '<div class="form-row"><label for="node-input-mode"><i class="fa fa-sign-in"></i> Read from</label><select id="node-input-mode" style="width: 70%"><option value="fields">message fields</option><option value="b2mml">a B2MML ' +
        escapeHtml(options.b2mmlDocument) +
        ' document</option></select></div>',
      '<div class="form-row lg-from-b2mml"><label for="node-input-b2mmlInput">Document</label><input type="text" id="node-input-b2mmlInput" style="width: 70%" /></div>',
      '<div class="lg-from-fields">' + options.fields.map(fieldRow).join('') + '</div>',
      '<div class="form-row"><label for="node-input-b2mmlOutput"><i class="fa fa-file-code-o"></i> B2MML to</label><span>msg.</span><input type="text" id="node-input-b2mmlOutput" style="width: 60%" placeholder="empty: do not write XML" /></div>',
      '<div class="form-row"><label for="node-input-name"><i class="fa fa-tag"></i> Name</label><input type="text" id="node-input-name" /></div>',
    ].join('');
  }

  /**
   * Registers an ISA-95 object node's editor: hierarchy, read-from mode (message fields or a B2MML
   * document), one typedInput per field, B2MML output and name.
   *
   * @example
   * LoopgateIsa95Editor.objectNode('isa95-equipment', {
   *   paletteLabel: 'equipment', label: 'Equipment', contextKey: 'equipment', b2mmlDocument: 'Equipment',
   *   fields: [{ name: 'objectId', label: 'Equipment id', value: 'payload.equipmentId', type: 'msg' }],
   * });
   */
  function objectNode(type, options) {
    $('<script type="text/html">').attr('data-template-name', type).text(template(options)).appendTo('body');
    var defaults = {
      name: { value: '' },
      hierarchy: { value: '', type: 'isa95-hierarchy', required: false },
      mode: { value: 'fields' },
      b2mmlInput: { value: 'payload' },
      b2mmlOutput: { value: '' },
    };
    options.fields.forEach(function (field) {
      defaults[field.name] = { value: field.value, required: false };
      defaults[field.name + 'Type'] = { value: field.type };
    });
    RED.nodes.registerType(type, {
      category: 'Loopgate ISA-95',
      color: '#C7E9C0',
      defaults: defaults,
      inputs: 1,
      outputs: 2,
      icon: type + '.svg',
      paletteLabel: options.paletteLabel,
      outputLabels: ['valid: msg.isa95.' + options.contextKey, 'invalid: msg.error'],
      label: function () {
        return this.name || options.label;
      },
      labelStyle: function () {
        return this.name ? 'node_label_italic' : '';
      },
      oneditprepare: function () {
        options.fields.forEach(function (field) {
          $('#node-input-' + field.name).typedInput({
            default: 'msg',
            types: VALUE_TYPES,
            typeField: $('#node-input-' + field.name + 'Type'),
          });
        });
        $('#node-input-b2mmlInput').typedInput({ types: ['msg'] });
        $('#node-input-mode')
          .on('change', function () {
            var fromXml = $(this).val() === 'b2mml';
            $('.lg-from-fields').toggle(!fromXml);
            $('.lg-from-b2mml').toggle(fromXml);
          })
          .trigger('change');
      },
    });
  }

  window.LoopgateIsa95Editor = { objectNode: objectNode };
})();
