"""A broad set of everyday wordings (written for these tests, not taken from the labelled
corpus): claims, promises and shipments said in many ways, and the ordinary chat lines
around them that must stay untagged.  Each line: role (b buyer, s seller) | expected
labels (label or label:reason, comma-separated; empty for none) | the message."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from extractor.nlp import get_tagger

SENT = datetime(2024, 5, 15, 14, 20, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Wednesday

CASES = """
b|return_claim:ineffective|用了半个月，痘痘一个没消，白花钱
b|return_claim:ineffective|这个祛斑霜用完一整瓶了斑还在
b|return_claim:ineffective|吃了两盒了，睡眠一点没改善
b|return_claim:ineffective|防蚊液喷了照样被咬一身包
b|return_claim:allergy|擦了以后脸上又痒又烫
b|return_claim:allergy|孩子吃了以后身上起了好多红点点
b|return_claim:allergy|用完眼睛周围肿起来了
b|return_claim:allergy|涂上去脸像火烧一样
b|return_claim:allergy|洗完头头皮痒得不行，还掉皮屑
b|return_claim:quality|耳机右边没声音
b|return_claim:quality|拉链拉了两下就坏了
b|return_claim:quality|鞋底穿了三天就开胶了
b|return_claim:quality|电饭煲煮出来的饭是夹生的
b|return_claim:quality|手机壳边缘都是毛刺，划手
b|return_claim:quality|插上电源指示灯不亮
b|return_claim:quality|衣服洗了一次缩了一个码
b|return_claim:quality|杯子盖子拧不紧，一倒就洒
b|return_claim:quality|蛋糕里面吃出一根头发
b|return_claim:quality|坚果有一股哈喇味，都放坏了
b|return_claim:quality|面膜打开就是干的，一点精华都没有
b|return_claim:damaged|快递盒子都被压变形了，里面的杯子裂了
b|return_claim:damaged|收到的时候玻璃瓶已经碎成渣了
b|return_claim:damaged|外箱湿透了，纸巾全泡烂了
b|return_claim:damaged|蛋碎了一半，黏得到处都是
b|return_claim:damaged|屏幕上一道划痕，肯定是运输磕的
b|return_claim:wrong_item|我买的是XL，寄来的是M
b|return_claim:wrong_item|订的是薄荷味，收到是草莓味的
b|return_claim:wrong_item|颜色完全不对，我要的是藏青不是黑色
b|return_claim:wrong_item|这不是我买的那款，型号都对不上
b|return_claim:wrong_item|你们给我发的是左脚两只
b|return_claim:missing_item|套装说是五件，我只收到四件
b|return_claim:missing_item|充电线没放，盒子里只有机器
b|return_claim:missing_item|说好的赠品一个都没有
b|return_claim:missing_item|少了一个盖子
b|return_claim:missing_item|数了一下只有18包，应该是20包
b|return_claim:not_as_described|实物比图片暗很多
b|return_claim:not_as_described|说是纯棉的，标签上写着涤纶
b|return_claim:not_as_described|你们这个是仿的吧，logo都歪了
b|return_claim:not_as_described|宝贝详情说有独立包装，收到是散装的
b|return_claim:not_as_described|跟主图差别也太大了吧
b|return_claim:no_reason|买了才发现家里已经有一个了，退了吧
b|return_claim:no_reason|上身效果不好，显得人很黑
b|return_claim:no_reason|男朋友不喜欢这个颜色
b|return_claim:no_reason|买小了，能换大一码吗
b|return_claim:no_reason|下单的时候手滑点错了
b|return_claim:no_reason|不想要了，帮我取消吧
b|delay_claim:late_shipment|付款都五天了还没发货
b|delay_claim:late_shipment|你们承诺48小时发货，现在都第四天了
b|delay_claim:late_shipment|别人家都到了，你们连货都没发
b|delay_claim:late_shipment|一直拖着不给我发，什么意思
b|delay_claim:out_of_stock|没货就别挂出来卖啊
b|delay_claim:out_of_stock|原来根本就没有库存
b|delay_claim:fake_shipment|物流三天没更新，单号是不是假的
b|delay_claim:fake_shipment|这单号查出来是发到新疆的，地址都不是我的
b|compensation_demand|这事你们得给我个补偿
b|compensation_demand|退款之外再给我50块精神损失
b|compensation_demand|要么赔钱要么我就一直闹
b|compensation_demand|起码给个红包吧
b|compensation_demand|降价了，把差价退给我
b|threat|再这样我就去黑猫投诉
b|threat|我要给你们写个长长的差评
b|threat|信不信我去小红书曝光你们
b|threat|我已经申请平台介入了
b|threat|我会打12315的
b|return_claim:quality,threat|质量这么差还好意思卖，差评
b|return_claim:allergy,compensation_demand|过敏去医院花了三百，医药费你们出
b||这个面霜敏感肌能用吗
b||如果尺码不合适可以换吗
b||要是收到有破损怎么办
b||你们家的东西不会掉色吧
b||没有质量问题，就是颜色不太喜欢……算了不退了
b||快递怎么还没到，物流好慢
b||我申请了退款，麻烦处理一下
b||上次买的那个挺好用的
b||我不会给差评的，放心吧
b||没必要赔偿，换个新的就行
b||快递员说是你们包装没弄好才压坏的
b||你们客服说过敏可以退全款
b||在吗在吗
b||好的谢谢，收到了
b||什么时候能发货呀
b||发什么快递
s|shipping_promise|亲，今天五点前安排发出哦
s|shipping_promise|好的，这边给您加急处理，明天一早发走
s|shipping_promise|亲，现货的，付款后当天就能发
s|shipping_promise|我们周五之前一定给您寄
s|shipping_promise|亲放心，这两天就会发货的
s|shipping_promise|补发的那件明天给您寄出
s|shipped|亲，包裹已经交给顺丰了
s|shipped|物流显示已经在派送了，今天应该能收到
s|shipped|已经帮您寄出了哦，单号JT3012345678901
s|shipped|您的快递昨天就发出去了
s|shipped|快递显示已签收，您看下是不是放门卫了
s||亲，发货后会短信通知您的
s||亲，请问您什么时候方便收货呢
s||抱歉亲，今天发不出去了
s||如有质量问题请联系客服处理哦
s||亲，收到货后如有过敏请立即停用
s||亲，您退回来的快递单号麻烦发我一下
s||亲，可以给您补偿5元红包
s||明天给您发出可以吗？
s||我们这边一般是按付款顺序发货的
b||这款会不会起球啊
b||洗了会掉色吗
b||万一收到是坏的怎么处理
b||假如尺码不合适能换吗
b||孕妇能用吗，会不会过敏
b||你们支持七天无理由退换吗
b||七天无理由退货运费谁出
b||质量有问题的话包退吗
b||没有少发，数量是对的
b||东西没坏，就是包装有点脏
b||颜色挺正的，没有色差
b||用了一周，没有过敏，挺好的
b||快递员说这个箱子是他们摔的，跟你们没关系
b||物流好慢啊，到哪了
b||包裹到哪了，怎么还在转运中心
b||快递还没到，我再等等
b||我要退货退款
b||申请仅退款了，麻烦同意下
b||还是上次说的那个问题
b||跟之前一样
b||好的，那我等你们发货
b||明天能到吗
b||顺丰还是中通
b||可以开发票吗
b||发票开好了发我邮箱
b||我不是要投诉你们，就是问问
b||放心，不会差评的
b||不用补偿了，下次注意就行
b||差评的事就算了
b||你们店评价挺好的，差评很少
b||看了差评有人说会过敏，真的吗
b||我朋友上次买的说是假的，你们是正品吧
b||好评已经给了
b||谢谢亲，辛苦了
b||你们的赠品是什么
b||能便宜点吗
b||有优惠券吗
b||满减还能用吗
b||拍两件能包邮不
b||我已经确认收货了
b||东西收到了，很满意
b||地址改一下，改成公司地址
b||不小心拍错了地址，能改吗
s||亲，如果收到有破损请拍照联系我们
s||质量问题我们包退换的哦
s||亲，七天无理由退货是支持的
s||敏感肌建议先在耳后试用
s||亲，收到货如有少件请第一时间联系客服
s||亲，我们都是正品，假一赔十
s||亲，您说的过敏情况我们已经记录了
s||亲，抱歉让您久等了
s||亲，发货前我们都会质检的
s||我们是品牌直发，从杭州仓发货
s||发货时间以页面为准哦
s||亲，快递是中通的
s||亲，您的退款已经处理了
s||亲，您寄回来的包裹我们收到了
s||明天发还是后天发比较方便呢？
s||今天发的话要加急费哦
s||亲，需要帮您改地址吗，改好就发
s||亲，地址改好了
s||请问您收到货了吗
s||亲，麻烦拍一下照片
s||亲，已经给您退款了，请查收
s||亲，已经给您补偿了5元
s||您好，请问有什么可以帮您
b|return_claim:quality|这个粉底液一上脸就搓泥
b|return_claim:quality|泵头按不出来
b|return_claim:quality|面霜都分层了，是不是变质了
b|return_claim:allergy|用了两天就闷痘
b|return_claim:allergy|吃了以后胃不舒服
b|return_claim:allergy|猫吃了拉稀
b|return_claim:allergy|宝宝用了屁股红红的
b|return_claim:quality|胶囊都受潮粘在一起了
b|return_claim:quality|收到的是临期的，下个月就过期
b|return_claim:quality|衣服一股甲醛味，熏得头疼
b|return_claim:quality|毛衣扎人还掉毛
b|return_claim:quality|袖口勾丝了
b|return_claim:quality|裤子上有一块油渍
b|return_claim:quality|鞋子左右脚大小不一样
b|return_claim:quality|鞋子泡了一次水就开胶了
b|return_claim:quality|蓝牙老是断连
b|return_claim:quality|屏幕有坏点
b|return_claim:quality|充一次电只能用半小时
b|return_claim:quality|耳机声音特别小
b|return_claim:quality|按键失灵了
b|return_claim:quality|用着用着就自动关机
b|return_claim:quality|插头接触不良，一碰就断电
b|return_claim:quality|水果有好几个烂的
b|return_claim:quality|饼干都潮了，软塌塌的
b|return_claim:quality|牛肉干里面有虫
b|return_claim:quality|柜子装好了晃得厉害
b|return_claim:quality|床垫一股刺鼻的味道
b|return_claim:quality|纸尿裤侧漏
b|return_claim:quality|猫砂粉尘特别大
b|return_claim:damaged|箱子被压扁了，里面的碗碎了两个
b|return_claim:damaged|快递到的时候盒子都烂了，东西掉出来了
b|return_claim:damaged|玻璃面板裂了一道
b|return_claim:damaged|酸奶漏了一箱子
b|return_claim:damaged|包装破了，里面的糖撒了一地
b|return_claim:ineffective|用了一个月，头发还是掉那么多
b|return_claim:ineffective|减肥药吃了两盒一斤没掉
b|return_claim:ineffective|美白霜擦了一点都没白
b|return_claim:ineffective|驱虫药吃了还是有跳蚤
b|return_claim:ineffective|这个降噪耳机降噪效果几乎没有
b|return_claim:not_as_described|你们写的是真皮，这明明是人造革
b|return_claim:not_as_described|图片上有两个口袋，收到的只有一个
b|return_claim:not_as_described|说是新款，结果是去年的旧款
b|return_claim:not_as_described|产地写的日本，实际是国产的
b|return_claim:not_as_described|标的容量500ml，实际只有300多
b|return_claim:wrong_item|你们发的是L码，订单上写的是M码
b|return_claim:wrong_item|我要的是充电款，给我发的是电池款
b|return_claim:wrong_item|味道发错了
b|return_claim:missing_item|说好的送两个杯子，只收到一个
b|return_claim:missing_item|遥控器没有电池
b|return_claim:missing_item|一盒应该12个，只有10个
b|return_claim:no_reason|太长了，我个子矮穿着拖地
b|return_claim:no_reason|颜色太艳了，不适合我
b|return_claim:no_reason|买了发现用不上，想退
b|return_claim:no_reason|孩子不爱穿，退了吧
b|delay_claim:late_shipment|你们这发货速度也太慢了，下单一个礼拜了
b|delay_claim:late_shipment|48小时都过了还没发
b|delay_claim:out_of_stock|没货你们早说啊，害我白等
b|delay_claim:fake_shipment|物流信息上写的揽收了，但一直没动，你们是不是只打了单没发货
b|compensation_demand|你们必须赔我一个新的
b|compensation_demand|至少给我补20块
b|threat|信不信我给你们刷差评
b|threat|我去法院起诉你们
b|threat|我会把聊天记录发到网上
b|return_claim:quality|品質很差，穿一次就起毛球
b|return_claim:ineffective|用了兩個禮拜完全無感
b|threat|再不處理我就給負評
b|threat|我要去消基會檢舉
b|delay_claim:out_of_stock|你哋冇貨就唔好賣啦
b||唔係質量問題，只係想換個顏色
s|shipped|親，已經幫您寄出囉
s|shipped|包裹已經到超商了喔
s|shipping_promise|明天會幫您出貨喔
b|delay_claim:late_shipment|下單五天了還沒出貨，你們到底在幹嘛
b|delay_claim:late_shipment|付款都一個星期了，連個單號都沒有
b|delay_claim:late_shipment|約好週三前寄出，現在週五了
b|delay_claim:fake_shipment|單號查不到任何資訊
b|compensation_demand|你們要賠償我的損失
b|compensation_demand|運費和這幾天的損失你們要補給我
b|compensation_demand|給我退一百塊差價
b|compensation_demand|不補償的話我就不確認收貨
b||運費險能賠多少
b||你們的退差價活動怎麼參加
s||親，給您補償10元紅包，您看可以嗎
b|return_claim:no_reason|尺寸太大了，我想退
b|return_claim:allergy|擦了臉一直脫皮
b|return_claim:damaged|杯子收到就破了一個口
b||声音大一点的有吗
b||这个保温效果怎么样
b||续航多久啊
b||有一股香味吗
b||你们的包装有一个手提袋吗
b||订单上写的地址对吗
b||我订单上写的是公司地址，可以吗
b||只能用顺丰吗
b||是不是有一块赠品
b||说是今天能到，结果还没到
b||物流显示到了，但是我还没去拿
b||还是那个问题
b||我还是想要黑色的
b||我还是有点担心会过敏
b||照样下单了
b||粉尘大的地方能用吗
b||味道怎么样
b||这个是正品吗
b||孩子很喜欢，谢谢
b||包装很好，没有破损
b||东西都齐了
b||颜色跟图片一样，很满意
b||可以换个颜色吗
b||在路上了吗
b||能不能今天发
b||我明天不在家，后天送可以吗
b||能帮我催一下快递吗
b|compensation_demand|好评返现怎么领
b|compensation_demand|差价能退吗
b||降价了能保价吗
b||你们家还有别的颜色吗
b||我想再买一个
b||太好了，谢谢亲
b||我刚下单，麻烦尽快发
b||已经确认收货了，五星好评
b||发票什么时候开
b||明天能送到吗
b||不着急，慢慢发
b||我上次买的那个用完了
s||亲，声音大小可以调节的
s||亲，这款续航12小时
s||如果一直闪，请您重启一下
s||亲，我们明天会联系快递上门取件
s||亲，麻烦您把旧的寄回来
s||亲，退货地址发您了
s||好的亲，已经帮您备注了
s|shipping_promise|亲，今天下单的话明天发货
s|shipping_promise|亲，现在下单今天就能发
s|shipping_promise|亲，这边看到您的订单了，会尽快安排的
s|shipping_promise|今天的单子今天都会发出的
s|shipping_promise|下午四点统一发货
s|shipping_promise|亲，周末仓库休息，周一给您发
s|shipping_promise|最迟明天发出
s|shipping_promise|亲，今天肯定能发
s|shipping_promise|我们24H内发货
s|shipping_promise|亲，我们已经在安排发货了
s|shipping_promise|隔天发哦亲
s|shipping_promise|亲，这两天就给您发出
s|shipped|已经给您发货了哦，注意查收
s|shipped|亲，已经揽收了
s|shipped|亲，快递小哥已经取走了
s|shipped|已经安排补发了，单号稍后发您
s||亲，单号稍后发您
s||亲，退款已经原路返回了
s||亲，已经帮您申请了
b|compensation_demand|医药费你们给我报销
b|compensation_demand|来回打车费你们得出
b|threat|我会让更多人知道你们家的东西有多差
b|delay_claim:late_shipment|都过了发货时间了
b|delay_claim:late_shipment|下单三天了，一直显示待发货
b|delay_claim:out_of_stock|说是现货结果是预售
b|return_claim:ineffective|一点作用都不起
b|return_claim:allergy|嘴唇肿了
b|return_claim:no_reason|尺码选错了，能换一下吗
b|return_claim:damaged|盒子凹陷了一块
s|shipped|昨天就给您发了哦
s|shipped|刚刚寄出去了
s|shipping_promise|下午给您发
s||亲，上午好
b|return_claim:quality|盘扣还掉了一个
b|return_claim:quality|表带没戴几天就松了
b|return_claim:quality|灯罩歪了
b|return_claim:quality|鞋带孔的铆钉掉了
b||钱掉了
b||我把他拉黑了，门开了
b||快递到了，我先走开了
b||气死我了，电话打不通
b||快递箱子压扁了，但东西没事
b||盒子有点压扁了，不过不影响使用，不用退
b||我朋友用了说过敏，我有点担心
b||别家的用了过敏，你们这个会吗
b||以前用别的牌子没效果
b|compensation_demand|这事你们看着办，怎么也得表示一下
b|compensation_demand|检查费你们得出
b||运费你们出吧
b|return_claim:missing_item|说明书没放
b|return_claim:missing_item|配送的勺子不见了
b|return_claim:no_reason|买了后悔了，不想要了
b|return_claim:no_reason|鞋子有点小了
b|return_claim:wrong_item|怎么给我发了个蓝色的
b||怎么发这么慢
b|return_claim:quality|吹风机用了三天就罢工了
b|delay_claim:fake_shipment|单号查询不到，你们是不是伪造的
b|delay_claim:late_shipment|急死了还不发
b||好不好看啊
b||我身体不行了，先睡了
b||还是那样
b||还是老样子
b||还是那个问题，你们看着办
b|return_claim:quality|质量这么差能退吗
b||没效果能退吗
b|return_claim:no_reason|太小了能换吗
b|compensation_demand|给我发个红包
b|compensation_demand|你们说好的补偿呢
b|compensation_demand|说好的好评返现呢
b|return_claim:ineffective|喝了一个月了 啥用没有
b|return_claim:ineffective|这驱蚊水跟喷白开水似的
b|return_claim:ineffective|说是能控油 这控的哪门子油
b|return_claim:allergy|敷完面膜脸上火辣辣地疼
b|return_claim:allergy|擦了三天胳膊上一片小红点
b|return_claim:quality|卫衣才洗了一次就全是球
b|return_claim:quality|耳机用了两天左边一边没声音
b|return_claim:quality|平底锅的涂层一块块地脱落
b|return_claim:quality|羽绒服一直跑绒 穿深色毛衣全是白毛
b|return_claim:damaged|快递到了 杯子是碎的
b|return_claim:wrong_item|这是42码的？我拍的40
b|return_claim:wrong_item|收到的手机膜是11寸的 贴不上
b|return_claim:missing_item|拼图拼到一半发现没有第3袋
b|return_claim:missing_item|我买的三盒 怎么就来了一盒
b|return_claim:not_as_described|防伪码扫出来显示已被查询过
b|return_claim:not_as_described|这不是虚假宣传吗？
b|return_claim:no_reason|鞋子39偏大了 想换38
b|return_claim:no_reason|裤子穿上长了一大截
b|compensation_demand|20块钱打发谁呢 起码给100
b|compensation_demand|能不能送点小样补偿一下
b|compensation_demand|耽误的这两百块你们出
b|threat|再不处理我就在评价里让大家都看看
b|delay_claim:late_shipment|说好周三发 结果又没发
b|delay_claim:late_shipment|周一都过了 还没发
b|delay_claim:out_of_stock|卖的时候为什么不说缺货
b|delay_claim:fake_shipment|快递员压根没来取件吧
b|return_claim:quality|第一次穿就开线 不是质量问题是啥
b||产品说明写的"24小时持久" 我还没用
b||不是我弄坏的
b||你们一般少发了怎么处理
b||平台规定超时不发货要赔付吗
b||哪款酸味淡一点
b||拍的时候选错地址了 能改吗
b|return_claim:missing_item|说好的送两个杯子呢 我看看到了没
b||我朋友说你们家这个没用 我先试试
b||没有第二种颜色了吗
b|return_claim:no_reason|同事说这个牌子闷痘 我不想要了
b|return_claim:quality|玩具车轮子一玩就掉
b|return_claim:quality|袜子穿一天就破洞了
b|return_claim:quality|粉底液分层了
b|return_claim:quality|充电宝充了一晚上还是一格电
b|return_claim:ineffective|减肥茶喝了半个月，体重纹丝不动
b|return_claim:ineffective|生发液抹了一个月，头发照掉
b|return_claim:ineffective|祛痘膏涂了痘痘反而更多了
b||物流三天了纹丝不动
b|return_claim:allergy|喝完就上吐下泻
b|return_claim:wrong_item|我拍的是黑色，给我发了个白的
b|return_claim:missing_item|买的6罐到手5罐
b|return_claim:no_reason|冲动消费了，我想退掉
b|compensation_demand|耽误我这么多事，不补偿说不过去吧
b|compensation_demand|这损失谁来承担
b|compensation_demand,delay_claim:late_shipment|按规定你们延迟发货要赔我订单金额的30%
b||平台规定超时不发货要赔付
b|return_claim:quality|饼干袋子里面长了绿毛
b|return_claim:quality|保质期只剩半个月了，这不是临期货吗
b|return_claim:quality|吹风机用了一会儿有焦糊味
b|return_claim:quality|绘本有好几页印反了
b|return_claim:quality|瑜伽垫那股味熏得我头疼，散不掉
b|return_claim:ineffective|猫砂根本不结团
b|return_claim:ineffective|维生素吃了和没吃一个样
b|return_claim:damaged|冰袋全化了，虾都软了
b|return_claim:missing_item|页面说送的收纳袋没见着
b|return_claim:wrong_item|领标写的是XL 可我拍的是L
b|return_claim:not_as_described|说是羊皮 其实就是PU
b|return_claim:not_as_described|跟直播间里看到的完全两码事
b|return_claim:not_as_described|颜色比图片暗了一大截
b|delay_claim:fake_shipment|问了中通，网点说根本没收到你们的件
b|delay_claim:fake_shipment|四天了一条物流记录都没有
b|delay_claim:out_of_stock|都付款三天了 这会儿才说没货？
b|compensation_demand|孩子看病的挂号费你们得出
b|threat|再不动我就投诉
b||买的3盒到手3盒，没问题
b||我拍的是M，发的也是M，就是有点大
b||跟没用之前比好多了
b||用了以后痘痘少了
b|return_claim:wrong_item|我要的是Type-C的，给我发的苹果口
b|return_claim:quality|凳子一坐就晃
b|return_claim:quality|奶粉里有黑色颗粒
b|return_claim:allergy|戴了这个耳环耳朵流脓了
b|return_claim:missing_item|配件包是空的
b|compensation_demand|送两包猫粮就算了
b|compensation_demand,threat|要是不给点补偿 我就去投诉
b|compensation_demand|看病花了两百多 这钱你们出
b|compensation_demand,threat|100不给的话 我就在评价里把照片都贴出来
b||赔偿就算了，尽快发货吧
b|threat|再拖我就去评价里说
b||差评就不写了
b|return_claim:missing_item|充电器和数据线都没有
b|return_claim:missing_item|盒子里没有说明书
b|return_claim:wrong_item|我拍的黑色 打开一看是藏青
b|return_claim:wrong_item|左脚41 右脚42
b|return_claim:not_as_described|这根本不是羊绒
b||这根本不是我弄坏的
b|return_claim:not_as_described|香水一股酒精味 跟专柜的完全两个味道
b|return_claim:quality|屏幕上有两个坏点
b|return_claim:damaged|收到 杯子裂咗
b|return_claim:allergy|现在还在吃抗过敏的药
b||这款是抗过敏的吗
b|return_claim:ineffective|涂了防晒还是晒伤了
b|return_claim:no_reason|个子小撑不起来 退了吧
b|delay_claim:late_shipment|今天又没发
b|delay_claim:late_shipment|付款五天了 一点动静没有
b|delay_claim:fake_shipment|单号是你们编的单号吧
b|return_claim:missing_item|你们就是漏发了
b||剩下的退了也没用
b|return_claim:ineffective|练了两个月 肌肉一点没见长
b|return_claim:quality|罐子里翻出一块塑料片
b|return_claim:allergy|涂完脸上起了好几个红疙瘩
b|threat|再不处理我就发到业主群里
b|delay_claim:late_shipment|中秋都过完了才发
b|return_claim:not_as_described|详情页说可以折叠，收到根本折不了
b|return_claim:not_as_described|图片里是大盒的，寄来的是小盒的
b||详情页写着包邮，收到了，谢谢
b|return_claim:missing_item|打开箱子只有主机，电源线呢？
b|return_claim:missing_item|套餐里应该有两个滤芯，我只看到一个
b|return_claim:wrong_item|发的是38码，我下单是39
b|return_claim:quality|吹风机吹着吹着就自己停了
b|return_claim:ineffective|驱蚊手环戴着照样被叮
b|return_claim:damaged|蛋糕在路上颠散了
b|compensation_demand|你们得对我的损失负责
b|compensation_demand,return_claim:allergy|我的皮肤都烂了，治疗费谁出
b||谢谢你们的红包
b||返现已经收到了
b||补偿就不用了
b||差价不用退了
b||你们的店铺红包怎么用
b||如果降价了能退差价吗
b||假货的话怎么赔
b||有人用了没效果吗
b||以前那家的没效果，换你们家试试
b|return_claim:quality|罐子密封不好，打开就是潮的
b|return_claim:quality|裤子洗了一次就缩得穿不上了
b|return_claim:quality|这批大米有很多碎米和石子
b|return_claim:quality|橙子一半是干瘪的
b|return_claim:quality|海鲜到了都死了，发臭
b|return_claim:missing_item|这瓶根本没有500ml
b|return_claim:no_reason|买了发现不太适合我的肤质，想退
b||这件衬衫洗了会变形吗
b|return_claim:wrong_item|左边标的40右边标的41 你们发了两只不一样码的
b|return_claim:wrong_item|这是蓝莓味吧？我下单选的草莓味
b|return_claim:not_as_described|一股塑料味 跟你们写的真皮完全不一样
b|return_claim:missing_item|说明书上写的配两节电池 也没有
b|return_claim:ineffective|号称控油爽肤水 我看就是瓶水
b|return_claim:quality|包装完好 是你们的货本身就有问题
b|delay_claim:out_of_stock|写着现货是骗人的 一件都没有
b|return_claim:allergy|用咗之後塊面好痕 仲起晒紅點
b|return_claim:wrong_item|我買嘅係黑色 你哋寄咗白色畀我
b|return_claim:missing_item|少咗一個蓋
b|return_claim:ineffective|说是三天见效 我用了半个月 啥变化木有
b|return_claim:allergy|孩子喝完奶粉就吐 一连三天了
b|return_claim:not_as_described|说好的纯天然 成分表一堆添加剂
b||这个颜色显黑吗
b||衣服起球吗
b||鞋子磨脚吗
b|return_claim:quality|我这件衣服怎么又起球了吗
b|return_claim:quality|穿了一次就起球 这正常吗
b|return_claim:quality|书有好几页是空白的
b|return_claim:not_as_described|说是正版书，一看就是盗印的
b|return_claim:damaged|书角都折了，封面压出一道印
b|return_claim:quality|积木拼不上，卡扣太松
b|return_claim:quality|娃娃的头发一梳就掉
b|return_claim:ineffective|猫咪吃了化毛膏还是吐毛球
b|return_claim:allergy|猫用了这个猫砂打喷嚏流眼泪
b|return_claim:quality|吸管杯漏水，包里全湿了
b|return_claim:not_as_described|纸薄得透字 封面印得歪歪扭扭 这是盗版吧
b||质量杠杠的，一点线头都没有
b||我看评论里有人说过敏，是真的吗
b|threat|不给说法我就在评论区把照片都发出来
b|compensation_demand|这单给我免了吧
b|compensation_demand|上次说好补我的20元呢
b|compensation_demand|把我买药的钱报了
b|compensation_demand|你们家的赔付标准是什么，我要按这个赔
b||你们的赔付标准是什么
b||之前那个差价退过了，谢谢
b|delay_claim:late_shipment|承诺48小时发货，现在都72小时了
b||没货的话我就换个颜色
b||客服说 这是正常的色差
b|return_claim:missing_item|我买的是套装，应该有洗面奶、水、乳三样，我只收到水和乳
b|return_claim:allergy|喝了酵素拉了一天肚子
b|return_claim:ineffective|钙片吃了腿还是抽筋
b|return_claim:ineffective|防水睫毛膏一流汗就晕成熊猫眼
b|return_claim:quality|路由器老掉线
b|return_claim:quality|坚果大部分是空壳
b||我感冒了一直打喷嚏，回复慢了不好意思
b|return_claim:allergy|换了这个猫砂猫一直打喷嚏
b||门开了一条缝，快递放门口就行
b|return_claim:quality|插上电一开机就冒烟
b||我家网老掉线，可能回复不及时
b||快递盒有点压痕不要紧
b|return_claim:allergy|过敏了，这跟我体质没关系，是你们产品问题
b||这个精华质地跟水一样，很清爽，喜欢
b||这两件事是两码事，先说发货
b||晒伤了能用这个修复吗
b||水龙头滴水怎么修
b||头发一把一把掉，有什么推荐的吗
b||特别烫的水能泡吗
b|return_claim:quality|充电的时候特别烫
b|return_claim:no_reason|就是拍多了一瓶，没拆的能退吗
b|return_claim:damaged,return_claim:missing_item|今天收到货了，外箱破了好几个洞，里面的两瓶碎了，而且还少了一瓶
b|return_claim:not_as_described,compensation_demand|写着纯棉不是纯棉 这算虚假宣传 按规矩要赔
b|return_claim:ineffective|这个驱蚊液喷了等于没喷，晚上照样被叮醒
b|return_claim:ineffective|按说明吃了半个月 跟没吃有啥区别
b|return_claim:ineffective|美白精华用完一瓶 白了个寂寞
b|return_claim:ineffective|这去屑洗发水白洗了 肩膀上还是一层
b|return_claim:ineffective|降压茶喝了二十天 血压一点没降
b|return_claim:ineffective|这助眠喷雾喷不喷一个样
b|return_claim:ineffective|护发素用了两周 发尾反而更干了
b|return_claim:ineffective|这除臭剂喷完跟喷了瓶水没区别
b|return_claim:allergy|狗狗换了这个沐浴露 一直挠肚子 挠秃了一块
b|return_claim:allergy|面霜擦完第二天眼皮肿了 眼睛辣得睁不开
b|return_claim:quality|拉杆箱拉到一半把手啪一下断了
b|return_claim:quality|剪刀用了一周就生锈了
b|return_claim:quality|T恤洗了一次 盆里的水全是红的
b|return_claim:not_as_described|手表开机不用设置 相册里还有别人的照片 这是被人用过的吧
b|return_claim:not_as_described|这双球鞋一眼假 鞋标都是歪的
b|return_claim:not_as_described|详情写的羊毛 剪了点毛边一烧 结成个黑疙瘩
b|return_claim:not_as_described|你们写的100%桑蚕丝 水洗标上印的是聚酯纤维
b|return_claim:not_as_described|标题写的防水 这叫防水？淋了点雨就湿透
b|return_claim:wrong_item|我拍的42码 鞋盒上印的40
b|return_claim:wrong_item|收到一看是草莓味的 我明明拍的原味
b|return_claim:wrong_item|抹茶色没来 来的是一件杏色的
b|return_claim:missing_item|买二送一 一共该有3盒 箱子里就2盒
b|return_claim:missing_item|说明书写有两个替换刷头 盒子里连个影子都没有
b|return_claim:missing_item|充电线也没看到 就一个主机
b|return_claim:damaged|纸箱一个角凹进去了 里面的花瓶裂成两半
b|return_claim:no_reason|高跟鞋后跟磨出血泡了 想退
b|return_claim:no_reason|多的那两瓶没拆 退了吧
b|delay_claim:fake_shipment|单号查了两天 还是暂无轨迹 你们是只打了个面单吧
b|delay_claim:fake_shipment|物流一直停在“待揽收” 就是先点了发货 货还在仓库吧
b|delay_claim:late_shipment|说好周二发 周二都过去了 订单还是一动不动
b|delay_claim:late_shipment|上午？都下午三点了 连个揽收都没有
b|delay_claim:out_of_stock|明明没货还挂着卖 虚标库存
b|compensation_demand|为这事我请了半天假 误工的钱你们得出
b|compensation_demand|检测费和来回打车的钱 你们给报一下
b|compensation_demand|这事折腾了我好几天 你们总得有点表示吧
b||不想退货 给我部分退款就行
b|compensation_demand|页面写着假一赔三 那就按三倍赔
b|threat|再不处理 我就把开箱视频发到小红书
b|threat|我在宝妈群里说一声 看以后谁还敢买
b||以前买的都挺好 这次照样下单了
b||你们一般会补偿点什么吗
b||备注了送小样哦 谢谢
b||吸尘器的吸力这么大吗
b||差评我就不写了 下次注意
b||这个叫什么颜色？
b||评论区好几个人说很好用
b||说好的20块补偿已经收到了 谢谢
b||能给报个价吗
b||公司报销需要发票，能开吗
b||我表示一下我的不满，下次别这样了
b||退一半是什么意思
b||如果有问题你们会补偿吗
b||万一路上压坏了，你们能赔吗
b||晒图有返现吗
b||好评返现是真的吗
b||我不要赔偿 我就要退货
b||红包就不用了 东西没事
b|compensation_demand|有问题你们不得补偿一下？
b|compensation_demand|我不要红包，我要赔偿
b|compensation_demand|券就算了 直接返现20到支付宝吧
b||耽误我一个礼拜 总得退点钱给我吧
b|compensation_demand|那20块补偿还没看到 是不是忘了
b||发货时间怎么算
b||退款时间怎么算
b||按三倍算的话多少钱
b||买一送一是按几倍算
b||少一分都不行吗，能便宜点不
b||再补个差价可以换大号吗
b||我再补10块换成顺丰可以吗
b||200不过分吧，这个价格
b||你们打算给多少运费险
b||部分退款怎么申请
b||退一半的话我还要寄回去吗
b||退点钱的话运费谁出
b||这个味道大不大
b||衣服掉不掉色
b||发错了的话怎么处理
b||我买两件送一件吗
b||不是正品的话假一赔十吗
b|return_claim:allergy|过敏了怎么办
b|return_claim:missing_item|配件不全，少了个支架
b|return_claim:missing_item|分量明显不够，半袋都没有
b|return_claim:missing_item|我拍的是一套，只来了上衣，裤子呢
b|return_claim:no_reason|款式有点老气，退了吧
b||配件齐全吗
b||分量够不够吃两个人
b|compensation_demand|给我补10块就行
b|compensation_demand|不多要 再补20
b||这个保温杯的保温时间真是普通杯子的三倍吗
b||这款精华是五倍浓缩的 一次用多少
b|compensation_demand,return_claim:not_as_described|假货就得按三倍赔 少一分都不行
b||来回打车费都比快递贵 还是寄过来吧
b||买两罐送不送话费啊
b||报销要用 麻烦开个增值税专票
b||发票开好了吗 单位财务那边等着报销
b||麻烦转我人工 机器人听不懂
b||你们家支持破损包赔吗
b||三斤装跟五斤装差价是多少
b||60就是你们的底线了吗
b||补偿就不必了 尽快换新的就行
b||红包你们自己留着吧 下次发货快点就好
b||赔偿什么的我不需要 给我退款就好
b||运费我先垫上了 到时候你们补给我就行
b|compensation_demand|运费和耽误的工钱你们都得补给我
b||现在下单有赠品吗 送个小勺子呗
b||有试吃装吗 多送两包试吃的呗
b|compensation_demand|东西坏成这样 送个赠品补偿一下不过分吧
b|compensation_demand,threat|五百不赔 我就去消协投诉
b|compensation_demand,threat|不给钱我就把照片发微博上
b||唔使赔钱 换个新的就得
b||我不是来要补偿的 只想换个颜色
b||差评都不会给的 你们放心
b||我邻居家长说有的店被投诉了就会赔
b||隔壁店上个月被举报下架了 你们可得注意
b|threat|客服说可以退 不行我就找平台介入
b|threat|再不给个说法 测评视频明天就发布
b|compensation_demand|这都超时了 按规定是不是该赔我点
b||这双鞋磨脚吗 我脚比较宽
b||你们支持七天无理由吗 我怕孩子不喜欢
b||鞋面穿久了会开裂吗 我天天走路上班
b||床单洗了会不会褪色
b||洗了好几次 颜色一点也没掉色 很满意
b||我朋友说好多店都是先发个空单号 有这回事吗
b||网上卖的燕窝好多都是假的 你们这个能溯源吗
b||这饼干吃起来很脆 孩子很喜欢
b||发票开了吗 我要拿回公司
b||我闺蜜用了说效果特别好 晒了一个夏天都没晒黑
b||外箱有点压扁了 不过不影响 算了
b|return_claim:no_reason|老公说这个味道他闻不惯 还没拆 退了吧
b|return_claim:no_reason|七天无理由嘛 我还在七天里 退了吧
b||羽毛球拍收到了 手感不错 打起来很脆
b||报销要用 麻烦开个增值税专票
b||你们超时发货有补偿吗 之前别家拖了好久
b||我同事说好多商家都是先打单不发货的
b||请问这款有冇货 想买两件
b||上周看是缺货 现在补上了吗
b|delay_claim:fake_shipment|三天了物流就一条揽收 你们是不是只打了个单根本没寄
b||驿站说这个单号只打了面单 让我再等等
b|delay_claim:fake_shipment|圆通说单号一直没揽收 我看你们东西压根没给快递吧
b||单号还是只有一条揽收记录 正常吗
b||说好的生日礼物 到不了就白买了
b|return_claim:damaged|画册书角被压折了 封面都翘起来了
b|return_claim:damaged|外箱淋湿了 里面的纸盒都泡软了
b||再不发货 芒果都要放坏了
b|return_claim:wrong_item|我买的黑色 寄来的也是白色
b|return_claim:wrong_item|我订的XL 发来的还是L
b|return_claim:wrong_item|两件都错了 我选的是蓝色 来的也是粉色
b||我买的黑色 来的也是黑色 挺好
b||我拍的M 收到的也是M 很合身
b|return_claim:wrong_item|左脚是39 右脚是40
b|return_claim:wrong_item|拆开一看 左脚是41 右脚咋是42
b||左脚是39 右脚也是39 没问题
b|return_claim:wrong_item|我买的65W 收到的充电头印着30W
b|return_claim:wrong_item|我拍的是2025版 到手的是2023版
b|return_claim:wrong_item|我要的15磅 一称才12磅
b|return_claim:wrong_item|标签上印着2019 我买的是2024年版
b|return_claim:wrong_item|不过我买的是XL 寄来的是M
b||我买的38码 平时穿37
b||我买的38码 来的38码 刚好
b|return_claim:wrong_item|件衫係M碼 我揀嘅係L碼
b|return_claim:wrong_item|我揀嘅係藍色 個盒入面係粉紅色
b||我揀嘅係黑色 係咪有貨？
b|return_claim:missing_item|五件套 拆开数了 锅两个 铲子一个 汤勺呢
b|return_claim:missing_item|说好的三件套 枕套一个 被套一个 床单呢
b||五件套收到了 什么时候开发票呢
b||一共三件 物流呢
b||套装挺好看的 孩子呢 很喜欢
b|return_claim:missing_item|标着一双 盒子里就一只
b|return_claim:missing_item|说好的两个杯子 收到就一个
b||写的一对 两个都收到了
b|return_claim:missing_item|只有上衣 裤子影子都没有
b|return_claim:missing_item|只有左耳 右耳不见了
b|return_claim:missing_item|页面写着送收纳袋 箱子里只有一个机器
b|return_claim:missing_item|冇充電器 點用啊
b|return_claim:missing_item|盒入面 說明書冇
b||充電器冇問題 好用
b|return_claim:missing_item|20本里有三本没有封面
b|return_claim:missing_item|10盒里有两盒少了勺子
b||10盒里有两盒是草莓味的 对吧
b|return_claim:ineffective|这双雨靴防水等于零 一踩水坑就湿
b|return_claim:ineffective|降噪基本等于没有 地铁上照样吵
b||包邮的 运费等于零
b|return_claim:ineffective|贴了一个星期 腰还是一样疼
b|return_claim:ineffective|穿了两天 脚跟还是疼
b|return_claim:ineffective|垫子铺好了 练了半小时还是打滑
b||贴了一个星期 腰不疼了
b||穿了两天 还是很喜欢
b|return_claim:ineffective|吃了五天了 一点动静都没有
b|return_claim:ineffective|喷了一晚上 什么动静也没有
b||快递三天了一点动静都没有
b|return_claim:ineffective|吃了一个月 该掉的头发一根没少
b|return_claim:ineffective|擦了两周 该长的痘一个没少
b||数了 该有的一个没少
b|return_claim:ineffective|拖了三遍 地上的污渍一点没拖干净
b|return_claim:ineffective|洗了两次 领口的油渍都没洗掉
b||擦了一下 灰都没了 挺好
b|return_claim:ineffective|护腰戴上 一点支撑力都没有
b|return_claim:ineffective|这个护膝毫无支撑感
b||有没有支撑感强一点的款式
b||支撑感很好 跑步很稳
b|return_claim:not_as_described|包装上生产日期 厂家都没写
b|return_claim:not_as_described|翻来覆去找 配料表啥都没有
b||生产日期都有 厂家也写了
b|return_claim:not_as_described,threat|我要投诉你们卖仿货
b|return_claim:not_as_described|这做工 该不会是高仿吧
b|return_claim:not_as_described|详情页写的防水是写着玩的吧
b||我开玩笑的 说着玩的
b|return_claim:not_as_described|薄得透光 你们详情写的加厚款
b|return_claim:not_as_described|只有半个巴掌大 图片上是一大盒
b||不急 你们说的是周五发
b||没事 你们写的是哪个快递
b||不好意思 详情页写的是纯棉吗
b|return_claim:not_as_described|你这是纯羊毛？我看是化纤的
b||你这是新款吗？
b|return_claim:damaged|到了 杯子上一道裂纹
b|return_claim:damaged|拆开 咖啡袋漏气了
b|return_claim:quality|用了一个月 杯子上出现一道裂纹
b|return_claim:damaged|盒子角凹了 应该是运输压到
b|return_claim:no_reason|穿上很臃肿 不喜欢
b|return_claim:no_reason|鞋子磨得脚后跟生疼
b|return_claim:no_reason|颜色不喜欢 直接退吧 不用换了
b||颜色不太喜欢 算了 不用换了
"""


# Everyday wording the statistical backoff gets wrong, on the record rather than out of
# the table: the rules alone get it right (test below), and the backoff's tag is a
# measured cost of its recall (README, "Accuracy").  Strict, so that a retrained model
# that gets it right shows up here.
BACKOFF_MISTAKES = {
    # 左脚/右脚 weigh towards a wrong-size claim; the all-clear 没问题 is no filter's cue
    "左脚是39 右脚也是39 没问题": "the backoff reads a size comparison as wrong_item",
    # 了一个 (少了一个, 坏了一个) weighs towards a claim; 不疼了 says the product worked
    "贴了一个星期 腰不疼了": "the backoff reads a week's use as a quality claim",
}


def _cases(rules_only: bool = False):
    for line in CASES.strip().splitlines():
        role, expected, text = line.split("|", 2)
        labels = frozenset(x for x in expected.split(",") if x)
        marks = ()
        if text in BACKOFF_MISTAKES and not rules_only:
            marks = pytest.mark.xfail(strict=True, reason=BACKOFF_MISTAKES[text])
        if rules_only and text not in BACKOFF_MISTAKES:
            continue
        yield pytest.param({"b": "buyer", "s": "seller"}[role], labels, text, id=text, marks=marks)


@pytest.fixture(scope="module")
def tagger():
    return get_tagger()


@pytest.mark.parametrize("role,expected,text", list(_cases()))
def test_everyday_wording(tagger, role, expected, text):
    tags = tagger.tag_text(text, role, SENT)
    assert {t.label + (":" + t.reason if t.reason else "") for t in tags} == expected


@pytest.mark.parametrize("role,expected,text", list(_cases(rules_only=True)))
def test_the_rules_alone_get_the_backoffs_mistakes_right(role, expected, text):
    tags = get_tagger(backoff=None).tag_text(text, role, SENT)
    assert {t.label + (":" + t.reason if t.reason else "") for t in tags} == expected
