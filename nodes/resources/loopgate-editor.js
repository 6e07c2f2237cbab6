/* Loopgate palette: editor helpers shared by the node dialogs (runs in the Node-RED editor). */
/* global RED, $ */
(function () {
  'use strict';
  if (window.LoopgateEditor) return;

  var VALUE_TYPES = ['msg', 'flow', 'global', 'str', 'num', 'bool', 'json', 'jsonata', 'env'];
  var TEXT_TYPES = ['str', 'msg', 'flow', 'global', 'env', 'jsonata'];
  var OBJECT_LABELS = {
    equipment: 'Equipment',
    'work-order': 'Work order',
    'material-lot': 'Material lot',
    'recipe-parameter': 'Recipe parameter',
  };
  var CONTEXT_KEYS = {
    equipment: 'equipment',
    'work-order': 'workOrder',
    'material-lot': 'materialLot',
    'recipe-parameter': 'recipeParameter',
  };

  function escapeHtml(text) {
    return $('<div>').text(String(text)).html();
  }

  /** Turns `#node-input-<prop>` (with a hidden `#node-input-<prop>Type`) into a typedInput. */
  function typedInput(prop, types, defaultType) {
    $('#node-input-' + prop).typedInput({
      default: defaultType || types[0],
      types: types,
      typeField: $('#node-input-' + prop + 'Type'),
    });
  }

  function settingsName(type) {
    return (
      type.replace(/-([a-z0-9])/g, function (_m, c) {
        return c.toUpperCase();
      }) + 'Target'
    );
  }

  var OUTPUT_TEMPLATE = [
    '<div class="form-row"><label for="node-input-gateway"><i class="fa fa-server"></i> Gateway</label><input type="text" id="node-input-gateway"></div>',
    '<div class="form-row"><label for="node-input-instance"><i class="fa fa-industry"></i> Target</label><input type="text" id="node-input-instance" style="width:70%"><input type="hidden" id="node-input-instanceType"></div>',
    '<div class="form-row"><label for="node-input-action"><i class="fa fa-bolt"></i> Action</label><select id="node-input-action" style="width:70%"></select></div>',
    '<div class="form-row"><label for="node-input-objectType"><i class="fa fa-cube"></i> Object</label><select id="node-input-objectType" style="width:70%"></select></div>',
    '<div class="form-row"><label for="node-input-objectId">Object id</label><input type="text" id="node-input-objectId" style="width:70%"><input type="hidden" id="node-input-objectIdType"></div>',
    '<div class="form-row lg-needs-parameter"><label for="node-input-parameter" class="lg-parameter-label">Parameter</label><input type="text" id="node-input-parameter" style="width:70%"><input type="hidden" id="node-input-parameterType"></div>',
    '<div class="form-row lg-needs-value"><label for="node-input-value">Value</label><input type="text" id="node-input-value" style="width:70%"><input type="hidden" id="node-input-valueType"></div>',
    '<div class="lg-details"></div>',
    '<div class="form-row"><label for="node-input-reason">Reason</label><input type="text" id="node-input-reason" style="width:70%" placeholder="default: the rule that fired"><input type="hidden" id="node-input-reasonType"></div>',
    '<div class="form-row"><label for="node-input-ttl"><i class="fa fa-clock-o"></i> Valid for</label><input type="number" id="node-input-ttl" min="1" style="width:90px"> s (then expired, never applied late)</div>',
    '<div class="form-row"><label for="node-input-effectKpi"><i class="fa fa-line-chart"></i> Effect KPI</label><input type="text" id="node-input-effectKpi" style="width:70%" placeholder="none: no effect check (or msg.effectCheck)"></div>',
    '<div class="form-row lg-effect"><label for="node-input-effectExpected">Expected</label><select id="node-input-effectExpected" style="width:120px"><option value="decrease">decrease</option><option value="increase">increase</option></select> over <input type="number" id="node-input-effectWindow" min="1" style="width:80px" aria-label="Effect window in seconds"> s, ± <input type="number" id="node-input-effectTolerance" min="0" step="any" style="width:80px" aria-label="Effect tolerance"> is no change</div>',
    '<div class="form-row"><label for="node-input-hierarchy"><i class="fa fa-sitemap"></i> Hierarchy</label><input type="text" id="node-input-hierarchy"></div>',
    '<div class="form-row"><label>&nbsp;</label><label for="node-input-waitForOutcome" style="width:70%"><input type="checkbox" id="node-input-waitForOutcome" style="width:auto;margin:0 6px 0 0">Wait for the final outcome before sending it on</label></div>',
    '<div class="form-row"><label for="node-input-name"><i class="fa fa-tag"></i> Name</label><input type="text" id="node-input-name"></div>',
  ].join('');

  /**
   * Registers a write-back output node's editor. The target's actions and fields come from the
   * runtime (`RED.settings.<type>Target`), the same list the node validates against.
   */
  function writeBackOutput(type, options) {
    $('<script type="text/html">').attr('data-template-name', type).text(OUTPUT_TEMPLATE).appendTo('body');
    RED.nodes.registerType(type, {
      category: 'Loopgate write-back',
      color: '#A6BBCF',
      defaults: {
        name: { value: '' },
        gateway: { value: '', type: 'loopgate-gateway' },
        instance: { value: options.instance, required: true },
        instanceType: { value: 'str' },
        action: { value: options.action, required: true },
        objectType: { value: '' },
        objectId: { value: '' },
        objectIdType: { value: 'str' },
        parameter: { value: '' },
        parameterType: { value: 'str' },
        value: { value: 'payload.value' },
        valueType: { value: 'msg' },
        details: { value: {} },
        reason: { value: '' },
        reasonType: { value: 'str' },
        ttl: { value: 60, validate: RED.validators.number() },
        effectKpi: { value: '' },
        effectExpected: { value: 'decrease' },
        effectWindow: { value: 300 },
        effectTolerance: { value: 0 },
        hierarchy: { value: '', type: 'isa95-hierarchy', required: false },
        waitForOutcome: { value: true },
      },
      inputs: 1,
      outputs: 1,
      icon: options.icon || type + '.svg',
      align: 'right',
      paletteLabel: options.paletteLabel,
      label: function () {
        return this.name || options.paletteLabel + ': ' + this.action;
      },
      labelStyle: function () {
        return this.name ? 'node_label_italic' : '';
      },
      outputLabels: ['final write-back outcome'],
      oneditprepare: function () {
        prepareOutputDialog(type, this);
      },
      oneditsave: function () {
        // A target picked from the gateway's list is saved as its name.
        if ($('#node-input-instanceType').val() === 'target') $('#node-input-instanceType').val('str');
        var details = {};
        $('.lg-details input[data-detail]').each(function () {
          var input = $(this);
          details[input.attr('data-detail')] = {
            value: input.typedInput('value'),
            valueType: input.typedInput('type'),
          };
        });
        this.details = details;
      },
    });
  }

  /**
   * Offers the gateway's configured instances of this node's kind as a list (a typed input of type
   * "target"); text and env stay for instances the editor cannot ask about. Saved as text.
   */
  function loadTargets(type, node) {
    var gatewayId = $('#node-input-gateway').val() || node.gateway;
    var kind = type.replace(/-out$/, '').replace('opcua-setpoint', 'opcua');
    if (!gatewayId || gatewayId === '_ADD_') return;
    $.getJSON('loopgate/gateways/' + encodeURIComponent(gatewayId) + '/targets', { kind: kind })
      .done(function (list) {
        if (!Array.isArray(list) || list.length === 0) return;
        var names = list.map(function (t) {
          return t.instance;
        });
        var input = $('#node-input-instance');
        var current = input.typedInput('value');
        var currentType = input.typedInput('type');
        input.typedInput('types', [
          { value: 'target', label: 'target', icon: 'fa fa-industry', options: names },
          'str',
          'env',
        ]);
        if (currentType === 'str' && (names.indexOf(current) >= 0 || current === '')) {
          input.typedInput('type', 'target');
          input.typedInput('value', current || names[0]);
        } else {
          input.typedInput('type', currentType);
          input.typedInput('value', current);
        }
      })
      .fail(function () {
        // Not deployed yet, or the gateway is unreachable: the name is typed.
      });
  }

  /** A new node takes the only gateway there is, rather than starting at "none". */
  function preselectGateway(node) {
    if (node.gateway) return;
    var gateways = [];
    RED.nodes.eachConfig(function (c) {
      if (c.type === 'loopgate-gateway') gateways.push(c);
    });
    if (gateways.length === 1) {
      node.gateway = gateways[0].id;
      $('#node-input-gateway').val(gateways[0].id).trigger('change');
    }
  }

  /** Fills the output dialog from the target catalogue: actions, object types, parameter, value and detail rows. */
  function prepareOutputDialog(type, node) {
    preselectGateway(node);
    var target = RED.settings[settingsName(type)];
    typedInput('instance', ['str', 'env']);
    loadTargets(type, node);
    typedInput('objectId', TEXT_TYPES, 'str');
    typedInput('parameter', TEXT_TYPES, 'str');
    typedInput('value', VALUE_TYPES, 'msg');
    typedInput('reason', TEXT_TYPES, 'str');
    var kpi = $('#node-input-effectKpi');
    var toggleEffect = function () {
      $('.lg-effect').toggle(String(kpi.val() || '').trim() !== '');
    };
    kpi.on('input change', toggleEffect);
    toggleEffect();
    if (!target) {
      $('.lg-details').html(
        '<div class="form-tips">Restart Node-RED: the target catalogue for ' +
          escapeHtml(type) +
          ' is not loaded.</div>',
      );
      return;
    }
    $('.lg-parameter-label').text(target.parameterLabel);
    var actionSelect = $('#node-input-action').empty();
    target.actions.forEach(function (a) {
      actionSelect.append($('<option>').val(a.action).text(a.label));
    });
    actionSelect.val(node.action);
    var details = $.extend(true, {}, node.details || {});

    function renderAction() {
      var spec = target.actions.find(function (a) {
        return a.action === actionSelect.val();
      });
      if (!spec) return;
      var objectSelect = $('#node-input-objectType').empty();
      spec.objectTypes.forEach(function (t) {
        objectSelect.append(
          $('<option>')
            .val(t)
            .text(OBJECT_LABELS[t] || t),
        );
      });
      objectSelect.val(spec.objectTypes.indexOf(node.objectType) >= 0 ? node.objectType : spec.objectTypes[0]);
      $('#node-input-objectId').attr('placeholder', 'default: msg.isa95.' + CONTEXT_KEYS[objectSelect.val()] + '.id');
      $('.lg-needs-parameter').toggle(spec.needsParameter);
      $('.lg-needs-value').toggle(spec.needsValue);
      var container = $('.lg-details').empty();
      spec.details.forEach(function (field) {
        var id = 'lg-detail-' + field.name;
        var saved = details[field.name] || { value: '', valueType: 'str' };
        var row = $('<div class="form-row">').appendTo(container);
        $('<label>')
          .attr('for', id)
          .text(field.label + (field.required ? ' *' : ''))
          .appendTo(row);
        $('<input type="text" style="width:70%">')
          .attr('id', id)
          .attr('data-detail', field.name)
          .val(saved.value)
          .appendTo(row);
        $('#' + id).typedInput({
          default: saved.valueType || 'str',
          types: field.kind === 'number' ? ['num', 'msg', 'flow', 'global', 'env', 'jsonata'] : TEXT_TYPES,
        });
        $('#' + id).typedInput('type', saved.valueType || (field.kind === 'number' ? 'num' : 'str'));
      });
    }
    actionSelect.on('change', renderAction);
    $('#node-input-objectType').on('change', function () {
      $('#node-input-objectId').attr('placeholder', 'default: msg.isa95.' + CONTEXT_KEYS[$(this).val()] + '.id');
    });
    renderAction();
  }

  window.LoopgateEditor = {
    preselectGateway: preselectGateway,
    typedInput: typedInput,
    writeBackOutput: writeBackOutput,
    VALUE_TYPES: VALUE_TYPES,
    TEXT_TYPES: TEXT_TYPES,
  };
})();
